/**
 * response-transformer-advanced: headers (per `if_status`), JSON body edits and whole-body
 * replacement. Only responses it must rewrite are buffered; everything else streams.
 */
import { responseTransformerAdvancedPlugin } from './schema';
import { defineHandler, type ResponseState } from '../../data-plane/runtime/plugin-api';
import { statusMatcher, transformHeaders, transformJson } from '../lib/transform-ops';

function isJson(res: ResponseState): boolean {
  const t = String(res.headers['content-type'] ?? '').toLowerCase();
  return t.includes('application/json') || /\+json\b/.test(t);
}

export default defineHandler(responseTransformerAdvancedPlugin, (c) => {
  const m = {
    remove: statusMatcher(c.remove.if_status),
    rename: statusMatcher(c.rename.if_status),
    replace: statusMatcher(c.replace.if_status),
    add: statusMatcher(c.add.if_status),
    append: statusMatcher(c.append.if_status),
  };
  const jsonOps =
    c.remove.json.length + c.replace.json.length + c.add.json.length + c.append.json.length > 0 ||
    !!c.allow.json;
  const rewrites = (res: ResponseState) =>
    (c.replace.body !== null && c.replace.body !== undefined && m.replace(res.status)) ||
    (jsonOps && isJson(res));
  return {
    // Bodies it rewrites arrive decoded (identity asked for, anything else decoded).
    inspectsResponse: jsonOps || (c.replace.body !== null && c.replace.body !== undefined),
    headerFilter(_ctx, res) {
      const s = res.status;
      transformHeaders(
        res.headers,
        {
          remove: m.remove(s) ? c.remove.headers : [],
          rename: m.rename(s) ? c.rename.headers : [],
          replace: m.replace(s) ? c.replace.headers : [],
          add: m.add(s) ? c.add.headers : [],
          append: m.append(s) ? c.append.headers : [],
        },
        (v) => v,
        false,
      );
      // The body will change length: the gateway sets it again when it sends.
      if (rewrites(res)) delete res.headers['content-length'];
    },
    wantsResponseBody: (_ctx, res) => rewrites(res),
    transformBody(_ctx, res, body) {
      const s = res.status;
      if (c.replace.body !== null && c.replace.body !== undefined && m.replace(s))
        return Buffer.from(c.replace.body);
      if (!jsonOps || !isJson(res)) return body;
      let obj: unknown;
      try {
        const text = body.toString('utf8');
        obj = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
      } catch {
        if (body.length === 0) return body;
        // Labelled JSON but unreadable: never passed on un-transformed (fail closed).
        res.status = 502;
        res.headers['content-type'] = 'application/json; charset=utf-8';
        return Buffer.from(
          JSON.stringify({ message: 'An invalid response was received from the upstream server' }),
        );
      }
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return body;
      transformJson(obj as Record<string, any>, {
        remove: m.remove(s) ? c.remove.json : [],
        replace: m.replace(s) ? c.replace.json : [],
        replaceTypes: c.replace.json_types,
        add: m.add(s) ? c.add.json : [],
        addTypes: c.add.json_types,
        append: m.append(s) ? c.append.json : [],
        appendTypes: c.append.json_types,
        allow: c.allow.json,
        dots: c.dots_in_keys,
      });
      return Buffer.from(JSON.stringify(obj));
    },
  };
});
