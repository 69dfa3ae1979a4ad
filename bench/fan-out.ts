/**
 * The fan-out rows of `npm run bench -- proxy`: a virtual MCP server (a `listener` over
 * passthrough sources) against the same MCP server called directly and through one passthrough
 * route. The sources are a small stateless MCP server (node:http, JSON answers, five tools per
 * path) so the rows measure the gateway's fan-out, not a server's cost. Requests are
 * 2026-07-28 (stateless: wrk keeps no session).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { adminClient } from '../test/helpers/http';
import { freePort } from '../test/helpers/process';
import { writeWrkScript } from './wrk-script';

/**
 * The toy sources in a process of their own (the bench's own loop is blocked while wrk runs):
 * `/s<i>` serves tools `s<i>_t0` … `s<i>_t4` (bench/toy-mcp-server.ts).
 */
export async function startToySources(): Promise<{ url: string; close(): void }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, 'toy-mcp-server.js'), String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the toy MCP server exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, close: () => child.kill() };
}

/** Sources and listeners: `/fan3`, `/fan10` (lists cached), `/fan3-fresh` (asked every time). */
export async function configureFanOut(adminUrl: string, sourcesUrl: string): Promise<string> {
  const api = adminClient(adminUrl);
  const must = async (path: string, body: unknown) => {
    const r = await api('POST', path, body);
    if (r.status !== 201) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  const source = async (name: string, path: string, tags: string[], ttl: number) => {
    await must('/services', { name, url: `${sourcesUrl}/${path}` });
    await must(`/services/${name}/routes`, { name, paths: [`/${name}`] });
    await must(`/routes/${name}/plugins`, {
      name: 'ai-mcp-proxy',
      tags,
      config: { mode: 'passthrough-listener', tools_cache_ttl_seconds: ttl },
    });
  };
  for (let i = 0; i < 10; i++) await source(`src${i}`, `s${i}`, i < 3 ? ['fan3', 'fan10'] : ['fan10'], 60);
  for (let i = 0; i < 3; i++) await source(`fresh${i}`, `s${i}`, ['fan3-fresh'], 0);
  await must('/services', { name: 'fan', url: 'http://127.0.0.1:9/' });
  for (const tag of ['fan3', 'fan10', 'fan3-fresh']) {
    await must('/services/fan/routes', { name: tag, paths: [`/${tag}`] });
    await must(`/routes/${tag}/plugins`, {
      name: 'ai-mcp-proxy',
      config: { mode: 'listener', server: { tag } },
    });
  }
  return (await api('GET', '/config')).body.hash as string;
}

/** A wrk script POSTing one 2026-07-28 request (stateless, headers matching the body). */
export function writeModernScript(
  dir: string,
  name: string,
  method: string,
  params: Record<string, unknown>,
): string {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: meta } });
  return writeWrkScript(dir, name, body, {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': '2026-07-28',
    'Mcp-Method': method,
    ...(typeof params.name === 'string' ? { 'Mcp-Name': params.name } : {}),
  });
}
