/** The Admin API as the CLI uses it: the whole config in one read, changes in one batch. */
import type { SnapshotConfig } from '../../shared/snapshot';
import type { BatchOperation } from '../../shared/batch-operation';

export class AdminError extends Error {}

export class AdminClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<any> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.baseUrl.replace(/\/$/, '') + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new AdminError(
        `cannot reach the Admin API at ${this.baseUrl}: ${(err as any).cause?.code ?? (err as Error).message}`,
      );
    }
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.status >= 400) {
      if (res.status === 401)
        throw new AdminError(`the Admin API refused the request (401): set TOLLGATE_ADMIN_TOKEN`);
      throw new AdminError(`${method} ${path}: HTTP ${res.status}: ${parsed?.message ?? text}`);
    }
    return parsed;
  }

  async currentConfig(): Promise<SnapshotConfig> {
    return (await this.call('GET', '/config')).config;
  }

  async batch(operations: BatchOperation[]): Promise<{ applied: number; version: number }> {
    return this.call('POST', '/batch', { operations });
  }
}
