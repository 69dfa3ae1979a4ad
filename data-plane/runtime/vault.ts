import { ApplyError } from './entity';

const REF = /^\{vault:\/\/env\/([^}/]+)(?:\/([^}]*))?\}$/;

/** Kong's env vault: `{vault://env/my-secret}` reads MY_SECRET (exact name tried first). */
function envName(ref: string): string[] {
  return [ref, ref.toUpperCase().replace(/-/g, '_')];
}

/**
 * Replace every `{vault://env/NAME}` string in a plugin config with the data plane's
 * environment value. An unset variable is an apply error, never an empty credential.
 */
export function resolveVaultReferences<T>(value: T, env: NodeJS.ProcessEnv, where: string): T {
  if (typeof value === 'string') {
    const m = REF.exec(value);
    if (!m) {
      if (value.startsWith('{vault://'))
        throw new ApplyError(`${where}: unsupported vault reference ${value} (only env is available)`);
      return value;
    }
    for (const name of envName(m[1])) {
      const v = env[name];
      if (v !== undefined && v !== '') {
        if (!m[2]) return v as T;
        try {
          const field = JSON.parse(v)[m[2]];
          if (typeof field === 'string') return field as T;
        } catch {
          /* fall through */
        }
        throw new ApplyError(`${where}: vault reference ${value}: ${name} has no JSON field '${m[2]}'`);
      }
    }
    throw new ApplyError(
      `${where}: vault reference ${value}: environment variable ${envName(m[1]).pop()} is not set on this data plane`,
    );
  }
  if (Array.isArray(value)) return value.map((v) => resolveVaultReferences(v, env, where)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveVaultReferences(v, env, where);
    return out as T;
  }
  return value;
}
