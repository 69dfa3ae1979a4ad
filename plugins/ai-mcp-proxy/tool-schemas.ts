/**
 * The JSON Schemas of converted tools, compiled with Ajv: the arguments of every tools/call are
 * validated before anything is sent upstream, and a declared output schema is checked against
 * what the upstream answered. The control plane compiles the same schemas when a plugin is
 * written, so a schema Ajv cannot compile is refused there, not on a data plane.
 */
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv';

// JSON Schema 2020-12, MCP's dialect (unevaluatedProperties, prefixItems, dependentRequired
// are enforced, not ignored). No defaults, no coercion: arguments are judged as sent.
const ajv = new Ajv2020({ allErrors: false, strict: false, validateFormats: false });

export function compileSchema(schema: Record<string, unknown>): ValidateFunction | { problem: string } {
  try {
    return ajv.compile(schema);
  } catch (err) {
    return { problem: `invalid JSON Schema: ${(err as Error).message}` };
  } finally {
    // Ajv caches every schema it compiled; each snapshot brings new objects. The compiled
    // function stays valid without the cache entry.
    ajv.removeSchema(schema);
  }
}

export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'invalid';
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'arguments';
  const extra =
    e.keyword === 'additionalProperties'
      ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'`
      : '';
  return `${where} ${e.message ?? 'is invalid'}${extra}`;
}
