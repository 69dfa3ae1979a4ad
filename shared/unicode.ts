/** A UTF-16 surrogate without its pair: not Unicode text (Postgres and strict parsers refuse it). */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * An own data property of a plain object, whatever the key (`__proto__` included: never the
 * prototype). `__proto__` is Object.prototype's only accessor, so every other key is assigned
 * (defineProperty for each key cost ~2 % of the MCP chain's CPU).
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key !== '__proto__') obj[key] = value;
  else Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
