/**
 * Vault references (`{vault://<backend or prefix>/<resource>[/<json key>]}`) resolved on the data
 * plane, once per compile, never sent anywhere or logged: Kong's `env` vault (optionally under
 * a configured prefix) and the `file` vault (a secret file in a configured directory). A
 * reference that does not resolve is an apply error, never an empty credential. The resolver
 * remembers what it read, so `VaultRotation` can tell when a secret changed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SnapshotConfig } from '../../shared/snapshot';
import { ApplyError } from './entity';

const REF = /^\{vault:\/\/([a-z][a-z0-9-]*)\/([^}/]+)(?:\/([^}/]*))?\}$/;
const FILE_NAME = /^[A-Za-z0-9._-]+$/;

interface Backend {
  name: string;
  config: Record<string, any>;
}

/** Every reference read while compiling, with its value and how often to look again. */
export interface ReadSecret {
  ref: string;
  value: string;
  ttlSeconds: number | null;
}

export class VaultResolver {
  private readonly prefixes: Map<string, Backend>;
  readonly read = new Map<string, ReadSecret>();

  constructor(
    config: Pick<SnapshotConfig, 'vaults'>,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.prefixes = new Map((config.vaults ?? []).map((v) => [v.prefix, { name: v.name, config: v.config }]));
  }

  /** Every string in `value` that is a reference, replaced by its secret. */
  resolve<T>(value: T, where: string): T {
    if (typeof value === 'string')
      return (value.startsWith('{vault://') ? this.secret(value, where) : value) as T;
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, where)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.resolve(v, where);
      return out as T;
    }
    return value;
  }

  private secret(ref: string, where: string): string {
    const m = REF.exec(ref);
    if (!m) throw new ApplyError(`${where}: invalid vault reference ${ref}`);
    const [, prefix, resource, key] = m;
    const backend = this.prefixes.get(prefix) ?? (prefix === 'env' ? { name: 'env', config: {} } : undefined);
    if (!backend)
      throw new ApplyError(`${where}: vault reference ${ref}: no vault '${prefix}' is configured`);
    const raw =
      backend.name === 'file'
        ? this.fromFile(backend, resource, ref, where)
        : this.fromEnv(backend, resource, ref, where);
    const value = key ? this.field(raw, key, ref, where) : raw;
    this.read.set(ref, { ref, value, ttlSeconds: backend.config.ttl ?? null });
    return value;
  }

  private fromEnv(b: Backend, resource: string, ref: string, where: string): string {
    const name = `${b.config.prefix ?? ''}${resource}`;
    for (const candidate of [name, name.toUpperCase().replace(/-/g, '_')]) {
      const v = this.env[candidate];
      if (v !== undefined && v !== '') return v;
    }
    throw new ApplyError(
      `${where}: vault reference ${ref}: environment variable ${name.toUpperCase().replace(/-/g, '_')} is not set on this data plane`,
    );
  }

  private fromFile(b: Backend, resource: string, ref: string, where: string): string {
    if (!FILE_NAME.test(resource) || resource.startsWith('.'))
      throw new ApplyError(`${where}: vault reference ${ref}: '${resource}' is not a file name`);
    try {
      // Secret files usually end with one newline that is not part of the secret.
      return readFileSync(join(b.config.path, resource), 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ApplyError(
        `${where}: vault reference ${ref}: cannot read ${resource} in ${b.config.path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }

  private field(raw: string, key: string, ref: string, where: string): string {
    try {
      const v = JSON.parse(raw)[key];
      if (typeof v === 'string') return v;
    } catch {
      /* not JSON: reported below */
    }
    throw new ApplyError(`${where}: vault reference ${ref}: the secret has no JSON field '${key}'`);
  }
}
