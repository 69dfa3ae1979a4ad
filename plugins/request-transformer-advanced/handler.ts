/**
 * request-transformer-advanced: rewrite the upstream request (method, URI, headers, body,
 * query string) in Kong's order, with templates read from the request as it arrived.
 */
import { requestTransformerAdvancedPlugin } from './schema';
import { parseTemplate, type TemplatePart } from '../lib/templates';
import { defineHandler, type RequestContextApi } from '../../data-plane/runtime/plugin-api';
import { readBodyParams, writeBodyParams } from '../../data-plane/pdk/body-params';
import { transformHeaders, transformJson, transformQuery } from '../lib/transform-ops';

function renderer(ctx: RequestContextApi) {
  // The snapshot the templates read: the request before any transformation.
  const headers = { ...ctx.req.headers };
  const query = new URLSearchParams(ctx.query);
  const cache = new Map<string, TemplatePart[]>();
  return (value: string): string => {
    if (!value.includes('$(')) return value;
    let parts = cache.get(value);
    if (!parts) cache.set(value, (parts = parseTemplate(value)));
    return parts
      .map((p) => {
        if (typeof p === 'string') return p;
        for (const term of p) {
          if ('literal' in term) return term.literal;
          let v: unknown;
          if (term.source === 'headers') v = headers[String(term.key).toLowerCase()];
          else if (term.source === 'query_params') v = query.get(String(term.key)) ?? undefined;
          else if (term.source === 'uri_captures')
            v =
              typeof term.key === 'number'
                ? ctx.uriCaptures.unnamed[term.key - 1]
                : ctx.uriCaptures.named[term.key];
          else v = ctx.shared[String(term.key)];
          if (v !== undefined && v !== null && v !== '') return Array.isArray(v) ? v.join(', ') : String(v);
        }
        return '';
      })
      .join('');
  };
}

export default defineHandler(requestTransformerAdvancedPlugin, (c) => {
  const bodyOps =
    (['remove', 'rename', 'replace', 'add', 'append'] as const).some((op) => c[op].body?.length) ||
    c.allow.body;
  const headerOps = {
    remove: c.remove.headers,
    rename: c.rename.headers,
    replace: c.replace.headers,
    add: c.add.headers,
    append: c.append.headers,
  };
  const queryOps = {
    remove: c.remove.querystring,
    rename: c.rename.querystring,
    replace: c.replace.querystring,
    add: c.add.querystring,
    append: c.append.querystring,
  };
  return {
    needsRequestBody: !!bodyOps,
    access(ctx) {
      const render = renderer(ctx);
      if (c.replace.uri) ctx.path = render(c.replace.uri);
      if (c.http_method) {
        const wasForm = String(ctx.headers['content-type'] ?? '').startsWith(
          'application/x-www-form-urlencoded',
        );
        ctx.method = c.http_method;
        // GET/HEAD/TRACE carry no body: form parameters move to the query string (Kong).
        if (['GET', 'HEAD', 'TRACE'].includes(c.http_method) && wasForm && ctx.body?.length) {
          for (const [k, v] of new URLSearchParams(ctx.body.toString('utf8'))) ctx.query.append(k, v);
          ctx.body = Buffer.alloc(0);
          delete ctx.headers['content-type'];
        }
      }
      transformHeaders(ctx.headers, headerOps, render, true);
      if (bodyOps && ctx.body?.length) {
        // A copy: the parsed body is shared by every plugin (ctx.jsonBody) and edited in place here.
        const shared = readBodyParams(ctx);
        const params = shared && structuredClone(shared);
        if (params) {
          transformJson(
            params,
            {
              remove: c.remove.body,
              rename: c.rename.body,
              replace: c.replace.body,
              replaceTypes: c.replace.json_types,
              add: c.add.body,
              addTypes: c.add.json_types,
              append: c.append.body,
              appendTypes: c.append.json_types,
              allow: c.allow.body,
              dots: c.dots_in_keys,
            },
            render,
          );
          writeBodyParams(ctx, params);
        }
      }
      transformQuery(ctx.query, queryOps, render);
    },
  };
});
