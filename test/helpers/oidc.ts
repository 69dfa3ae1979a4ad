/** The oidc-provider fixture (test/fixtures/oidc-server.mjs) as its own process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './process';

export interface OidcServer {
  issuer: string;
  process: ChildProcess;
  /** A client-credentials access token for `resource` (client mcp-client). */
  token(resource: string, client?: [string, string]): Promise<string>;
  close(): void;
}

/** `resources`: {"<uri>": "opaque" | "jwt"}: the token format per resource indicator. */
export async function startOidcServer(resources: Record<string, 'opaque' | 'jwt'>): Promise<OidcServer> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [join(__dirname, '..', '..', '..', 'test', 'fixtures', 'oidc-server.mjs')],
    {
      env: { ...process.env, OIDC_PORT: String(port), OIDC_RESOURCES: JSON.stringify(resources) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('oidc ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`oidc-provider exited ${code}`)));
  });
  return {
    issuer,
    process: child,
    async token(resource, [id, secret] = ['mcp-client', 'mcp-client-secret']) {
      const r = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: 'mcp:tools',
          resource,
        }).toString(),
      });
      const body = (await r.json()) as any;
      if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    close: () => void child.kill(),
  };
}
