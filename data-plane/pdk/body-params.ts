import type { RequestContextApi } from '../runtime/plugin-api';

/** Content type of the upstream request body, without parameters. */
export function bodyType(ctx: RequestContextApi): string {
  const t = ctx.headers['content-type'];
  return String(Array.isArray(t) ? t[0] : (t ?? ''))
    .split(';')[0]
    .trim()
    .toLowerCase();
}

/** The request body as parameters: form-urlencoded or a JSON object; null otherwise. */
export function readBodyParams(ctx: RequestContextApi): Record<string, unknown> | null {
  if (!ctx.body || ctx.body.length === 0) return null;
  const type = bodyType(ctx);
  if (type === 'application/x-www-form-urlencoded') {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(ctx.body.toString('utf8'))) {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    const v = ctx.jsonBody();
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  }
  return null;
}

export function writeBodyParams(ctx: RequestContextApi, params: Record<string, unknown>) {
  const type = bodyType(ctx);
  if (type === 'application/x-www-form-urlencoded') {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(params))
      for (const item of Array.isArray(v) ? v : [v]) p.append(k, String(item));
    ctx.body = Buffer.from(p.toString());
  } else {
    ctx.body = Buffer.from(JSON.stringify(params));
  }
}

export function removeBodyParam(ctx: RequestContextApi, name: string) {
  const params = readBodyParams(ctx);
  if (!params || !Object.hasOwn(params, name)) return;
  // The parsed body is shared (ctx.jsonBody): a copy without the parameter.
  const { [name]: _removed, ...rest } = params;
  writeBodyParams(ctx, rest);
}
