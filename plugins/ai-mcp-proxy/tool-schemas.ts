/**
 * The JSON Schemas of converted tools, compiled with Ajv: the arguments of every tools/call are
 * validated before anything is sent upstream, and a declared output schema is checked against
 * what the upstream answered. The control plane compiles the same schemas when a plugin is
 * written, so a schema Ajv cannot compile is refused there, not on a data plane.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

// No defaults, no coercion: the arguments are judged as the client sent them.
const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });

export function compileSchema(schema: Record<string, unknown>): ValidateFunction | { problem: string } {
  try {
    return ajv.compile(schema);
  } catch (err) {
    return { problem: `invalid JSON Schema: ${(err as Error).message}` };
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
