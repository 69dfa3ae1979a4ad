/** jq's `@format` filters and string-interpolation formats. */
import { JqError, describe, toJson } from './values';

const tostring = (v: unknown): string => (typeof v === 'string' ? v : toJson(v));

const HTML: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&quot;' };

const FORMATTERS: Record<string, (v: unknown) => string> = {
  text: tostring,
  json: toJson,
  html: (v) => tostring(v).replace(/[<>&'"]/g, (c) => HTML[c]),
  uri: (v) =>
    Array.from(Buffer.from(tostring(v), 'utf8'))
      .map((b) =>
        /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
          ? String.fromCharCode(b)
          : '%' + b.toString(16).toUpperCase().padStart(2, '0'),
      )
      .join(''),
  base64: (v) => Buffer.from(tostring(v), 'utf8').toString('base64'),
  base64d: (v) => {
    const s = tostring(v);
    const out = Buffer.from(s, 'base64');
    if (s.length && !out.length) throw new JqError(`${describe(v)} is not valid base64 data`);
    return out.toString('utf8');
  },
};

export const FORMATS = new Set(Object.keys(FORMATTERS));

export function applyFormat(name: string, v: unknown): string {
  return FORMATTERS[name](v);
}
