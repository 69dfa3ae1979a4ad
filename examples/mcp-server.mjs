#!/usr/bin/env node
// An example MCP server for the README's walkthrough: three tools over Streamable HTTP on
// 127.0.0.1 (PORT, default 3333), path /mcp. `delete_everything` is the tool the walkthrough's
// ACLs deny to developers. Built with the official MCP TypeScript SDK (a dependency of the
// clone's dev install).
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const port = Number(process.env.PORT ?? 3333);

function server() {
  const s = new McpServer({ name: 'tollgate-example', version: '1.0.0' });
  s.registerTool(
    'echo',
    { description: 'Echo a message back', inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: 'text', text: message }] }),
  );
  s.registerTool(
    'add',
    { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
  );
  s.registerTool(
    'delete_everything',
    { description: 'Delete every record (an admin-only tool)', inputSchema: {} },
    async () => ({ content: [{ type: 'text', text: 'everything deleted (not really)' }] }),
  );
  return s;
}

createServer(async (req, res) => {
  // Anything else is a plain HTTP answer (the walkthrough's first proxied request).
  if (req.url !== '/mcp')
    return res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ hello: 'from the example server', method: req.method, path: req.url }));
  // Stateless: a server and a transport per request, as the SDK's examples do.
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  const s = server();
  res.on('close', () => {
    void transport.close();
    void s.close();
  });
  await s.connect(transport);
  const chunks = [];
  for await (const c of req) chunks.push(c);
  let body;
  try {
    body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  } catch {
    return res.writeHead(400).end();
  }
  await transport.handleRequest(req, res, body);
}).listen(port, '127.0.0.1', () => console.log(`example MCP server on http://127.0.0.1:${port}/mcp`));
