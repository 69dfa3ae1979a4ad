/**
 * The official MCP SDK clients as the tests use them: the 1.x SDK (2025-11-25) and SDK v2
 * (negotiating 2026-07-28 through `server/discover`), connected through the gateway; every tool
 * listed.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';

export async function connectMcp(
  url: string,
  headers: Record<string, string>,
  fetchImpl?: typeof fetch,
): Promise<Client> {
  const client = new Client({ name: 'tollgate-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers },
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    }),
  );
  return client;
}

/** An SDK v2 client, its protocol version negotiated (2026-07-28 where the server speaks it). */
export async function connectMcpV2(url: string, headers: Record<string, string>): Promise<ClientV2> {
  const client = new ClientV2({ name: 'sdk-v2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new TransportV2(new URL(url), { requestInit: { headers } }));
  return client;
}

/** Every tool over every page of tools/list. */
export async function listAllTools(client: Client): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor);
  return names;
}

/** A raw JSON-RPC POST as a Streamable HTTP client sends it (for what the SDK client would not send). */
export function postJsonRpc(
  url: string,
  headers: Record<string, string>,
  message: unknown,
  fetchImpl: typeof fetch = fetch,
): Promise<Response> {
  return fetchImpl(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(message),
  });
}
