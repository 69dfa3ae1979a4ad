#!/usr/bin/env node
// The README walkthrough's MCP client: connects to a Tollgate route with an API key, lists the
// tools it may use and calls one. Usage: node examples/mcp-client.mjs <url> <apikey> [tool] [json-args]
import { URL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url = 'http://127.0.0.1:8000/mcp', apikey = '', tool, args = '{}'] = process.argv.slice(2);
const client = new Client({ name: 'tollgate-walkthrough', version: '1.0.0' });
await client.connect(
  new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { apikey } } }),
);
const { tools } = await client.listTools();
console.log(`tools: ${tools.map((t) => t.name).join(', ')}`);
if (tool) {
  try {
    const r = await client.callTool({ name: tool, arguments: JSON.parse(args) });
    console.log(`${tool}: ${r.content.map((c) => c.text).join(' ')}`);
  } catch (err) {
    console.log(`${tool}: refused: ${err.message}`);
  }
}
await client.close();
