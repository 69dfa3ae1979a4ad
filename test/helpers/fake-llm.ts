/** An OpenAI-compatible upstream that answers `{"ok":true}` and records each call's Authorization. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startFakeLlm(): Promise<{ port: number; auths: string[]; close(): void }> {
  const auths: string[] = [];
  const server = createServer((req, res) => {
    auths.push(String(req.headers.authorization));
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, auths, close: () => server.close() };
}
