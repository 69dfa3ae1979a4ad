/**
 * The MCP boundary, attacked. The seed's decK file is applied with `tollgate sync`, its GitHub
 * and Konnect services pointed at a deliberately lenient upstream (test/fixtures/
 * lenient-mcp-server.ts lists its leniencies), its IdP at oidc-provider. Then a developer (and
 * a caller with no credentials at all) tries every way we know to make the gateway and that
 * upstream read one request differently. The invariants, checked after every class:
 * - no tool the developer may not call ever runs upstream;
 * - no response the developer gets lists a tool they may not call;
 * - the stored Konnect credential never travels with a request no auth plugin accepted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { mustCreate, startStack, type Stack } from '../helpers/stack';
import { runTollgate } from '../helpers/process';
import { SEED_ENV, seedPointedAt } from '../helpers/seed';
import { startOidcServer, type OidcServer } from '../helpers/oidc';
import { connectMcp, listAllTools } from '../helpers/mcp';
import { startLenientMcpFixture, type LenientFixture } from '../fixtures/lenient-mcp-server';
import { ALL_TOOLS, READ_TOOLS } from '../fixtures/github-mcp-server';

const STORED = 'kpat_stored_credential';
const KONNECT_RESOURCE = 'https://localhost:8443/konnect-mcp';
const DENIED = ALL_TOOLS.filter((t) => !READ_TOOLS.includes(t));
const DEV = { apikey: 'dev-api-key', authorization: 'Bearer ghu_user_token' };

let s: Stack;
let github: LenientFixture;
let konnect: LenientFixture;
let oidc: OidcServer;
let attacks = 0;

/** Did this request reach the (GitHub or Konnect) upstream? */
const reached = (r: Reply) =>
  [...github.received, ...konnect.received].some((g) => g.headers['x-attack-id'] === r.id);

interface Reply {
  /** `x-attack-id` sent with the request: whether it reached an upstream is looked up by it. */
  id: string;
  status: number;
  headers: Record<string, any>;
  text: string;
}

/** One raw request: any method, duplicate headers (flat [name, value] list), exact body bytes. */
function send(
  path: string,
  opts: { method?: string; headers?: [string, string][]; body?: Buffer | string; chunked?: boolean } = {},
): Promise<Reply> {
  const url = new URL(s.dp.proxyUrl);
  return new Promise((resolve, reject) => {
    const flat: string[] = [];
    const headers = opts.headers ?? [];
    if (!headers.some(([k]) => k.toLowerCase() === 'host')) flat.push('host', url.host);
    if (opts.body !== undefined)
      flat.push(
        ...(opts.chunked
          ? ['transfer-encoding', 'chunked']
          : ['content-length', String(Buffer.byteLength(opts.body))]),
      );
    const id = `attack-${++attacks}`;
    flat.push('x-attack-id', id);
    for (const [k, v] of headers) flat.push(k, v);
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, method: opts.method ?? 'POST', headers: flat as any },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          let body = Buffer.concat(chunks);
          // Whatever the gateway sends is read the way a lenient client would.
          if (res.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
          resolve({ id, status: res.statusCode!, headers: res.headers, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** As the id: the message is a notification. */
const NO_ID = Symbol('no id');
const rpc = (method: string, params?: unknown, id: unknown = 1) =>
  JSON.stringify({
    jsonrpc: '2.0',
    ...(id === NO_ID ? {} : { id }),
    method,
    ...(params ? { params } : {}),
  });
const call = (tool: string, id: unknown = 1) => rpc('tools/call', { name: tool, arguments: {} }, id);
const jsonHeaders = (extra: [string, string][] = []): [string, string][] => [
  ['content-type', 'application/json'],
  ['accept', 'application/json, text/event-stream'],
  ['apikey', DEV.apikey],
  ['authorization', DEV.authorization],
  ...extra,
];
const dev = (body: string | Buffer, extra: [string, string][] = [], method = 'POST', path = '/github-mcp') =>
  send(path, { method, headers: jsonHeaders(extra), body });

/** A tool the developer may not call, listed as a tool in this text. */
function leakedTool(text: string): string | undefined {
  return DENIED.find((t) => new RegExp(`"name"\\s*:\\s*"${t}"`).test(text));
}

function assertNothingDeniedRan(context: string) {
  const ran = github.executed.filter((e) => !READ_TOOLS.includes(e.tool));
  assert.deepEqual(
    ran.map((e) => `${e.tool} via ${e.via}`),
    [],
    `${context}: a denied tool ran upstream`,
  );
}

before(async () => {
  github = await startLenientMcpFixture();
  konnect = await startLenientMcpFixture();
  oidc = await startOidcServer({ [KONNECT_RESOURCE]: 'opaque' });
  s = await startStack({ allowedHosts: [] });
  const konnectPort = new URL(konnect.url).port;
  const text = seedPointedAt(github.url).replace(
    /host: \$\{\{ env "DECK_KONNECT_MCP_HOST" \}\}\n(\s+)port: 443\n\s+protocol: https/,
    (_m, indent) => `host: 127.0.0.1\n${indent}port: ${konnectPort}\n${indent}protocol: http`,
  );
  const file = join(mkdtempSync(join(tmpdir(), 'boundary-')), 'kong.yaml');
  writeFileSync(file, text);
  const env = {
    ...SEED_ENV,
    DECK_OAUTH_AUTH_SERVER: oidc.issuer,
    DECK_OAUTH_INTROSPECTION_URL: `${oidc.issuer}/token/introspection`,
    DECK_KONNECT_MCP_TOKEN: STORED,
  };
  const sync = await runTollgate(['sync', file], { env: { TOLLGATE_ADMIN_URL: s.cp.url, ...env } });
  assert.equal(sync.code, 0, sync.stderr);
  // A token-swap route without cors: a real preflight gets past the auth plugin to the upstream.
  const svc = (await s.api('GET', '/services/konnect-mcp-service')).body;
  await mustCreate(s.api, `/services/${svc.id}/routes`, {
    name: 'konnect-nocors',
    paths: ['/konnect-nocors'],
  });
  await mustCreate(s.api, '/routes/konnect-nocors/plugins', {
    name: 'ai-mcp-oauth2',
    config: {
      resource: KONNECT_RESOURCE,
      authorization_servers: [oidc.issuer],
      introspection_endpoint: `${oidc.issuer}/token/introspection`,
      client_id: 'gateway',
      client_secret: 'gateway-secret',
      insecure_relaxed_audience_validation: true,
      passthrough_credentials: false,
    },
  });
  await mustCreate(s.api, '/routes/konnect-nocors/plugins', {
    name: 'request-transformer-advanced',
    config: { add: { headers: [`Authorization:Bearer ${STORED}`] } },
  });
  await mustCreate(s.api, '/routes/konnect-nocors/plugins', {
    name: 'ai-mcp-proxy',
    config: { mode: 'passthrough-listener' },
  });
  // The same token swap without ai-mcp-proxy (nothing reads the body): a preflight with a
  // streamed body must not get through.
  await mustCreate(s.api, `/services/${svc.id}/routes`, { name: 'konnect-plain', paths: ['/konnect-plain'] });
  for (const p of ['ai-mcp-oauth2', 'request-transformer-advanced']) {
    const src = (await s.api('GET', '/routes/konnect-nocors/plugins')).body.data.find(
      (x: any) => x.name === p,
    );
    await mustCreate(s.api, '/routes/konnect-plain/plugins', { name: p, config: src.config });
  }
  // ai-mcp-proxy beside a plugin that buffers responses (Datakit reading the upstream body):
  // SSE answers are still inspected.
  const gh = (await s.api('GET', '/services/github-mcp-service')).body;
  await mustCreate(s.api, `/services/${gh.id}/routes`, { name: 'buffered-mcp', paths: ['/buffered-mcp'] });
  await mustCreate(s.api, '/routes/buffered-mcp/plugins', {
    name: 'key-auth',
    config: { key_names: ['apikey'] },
  });
  await mustCreate(s.api, '/routes/buffered-mcp/plugins', {
    name: 'ai-mcp-proxy',
    config: {
      mode: 'passthrough-listener',
      include_consumer_groups: true,
      default_acl: [{ scope: 'tools', deny: ['developer'] }],
      tools: READ_TOOLS.map((name) => ({ name, description: name, acl: { allow: ['developer'] } })),
    },
  });
  await mustCreate(s.api, '/routes/buffered-mcp/plugins', {
    name: 'datakit',
    config: { nodes: [{ name: 'PEEK', type: 'jq', input: 'service_response.body', jq: '.' }] },
  });
  await s.synced();
});

after(async () => {
  await s?.close();
  await github?.close();
  await konnect?.close();
  oidc?.close();
});

describe('controls: the seed flow still works through the lenient upstream', () => {
  test('the developer lists exactly the six read tools with the SDK client and may call one', async () => {
    const client = await connectMcp(`${s.dp.proxyUrl}/github-mcp`, DEV);
    assert.deepEqual((await listAllTools(client)).sort(), [...READ_TOOLS].sort());
    const r: any = await client.callTool({ name: 'search_code', arguments: {} });
    assert.equal(r.content[0].text, 'ran search_code');
    await client.close();
    const plain = await dev(call('push_files'));
    assert.match(plain.text, /Tool 'push_files' is not available for consumer group 'developer'/);
    assertNothingDeniedRan('control');
  });

  test('a valid IdP token: the upstream gets the stored credential, never the user token', async () => {
    const token = await oidc.token(KONNECT_RESOURCE);
    const before = konnect.received.length;
    const r = await send('/konnect-mcp', {
      headers: [
        ['content-type', 'application/json'],
        ['accept', 'application/json'],
        ['authorization', `Bearer ${token}`],
        // forged identity: the token maps to no consumer, so the gateway sets none either
        ['x-consumer-username', 'admin-user'],
        ['x-consumer-groups', 'admin'],
        ['x-credential-identifier', 'forged'],
      ],
      body: rpc('ping'),
    });
    assert.equal(r.status, 200, r.text);
    const got = konnect.received.slice(before);
    assert.equal(got.length, 1);
    assert.equal(got[0].headers.authorization, `Bearer ${STORED}`);
    assert.equal(got[0].headers['x-consumer-username'], undefined);
    assert.equal(got[0].headers['x-consumer-groups'], undefined);
    assert.notEqual(got[0].headers['x-credential-identifier'], 'forged');
  });
});

describe('every HTTP method is judged', () => {
  const methods = ['PUT', 'PATCH', 'PROPFIND', 'SEARCH', 'REPORT', 'MKCOL', 'LOCK', 'PURGE', 'LINK', 'TRACE'];
  test('methods other than POST/GET/DELETE/OPTIONS: 405, nothing forwarded', async () => {
    for (const method of methods) {
      const r = await dev(call('push_files'), [], method);
      assert.equal(r.status, 405, `${method}: ${r.status} ${r.text}`);
      assert.match(String(r.headers.allow), /POST/);
      assert.ok(!reached(r), `${method} reached the upstream`);
    }
    assertNothingDeniedRan('methods');
  });

  test('GET, DELETE and OPTIONS carrying a JSON-RPC body are refused; OPTIONS only as a preflight', async () => {
    for (const [method, extra] of [
      ['GET', []],
      ['DELETE', []],
      ['OPTIONS', []],
      ['OPTIONS', [['origin', 'http://localhost:3000']]],
      ['OPTIONS', [['access-control-request-method', 'POST']]],
    ] as [string, [string, string][]][]) {
      const r = await dev(call('push_files'), extra, method);
      assert.ok(r.status === 400 || r.status === 405, `${method} ${JSON.stringify(extra)}: ${r.status}`);
      assert.ok(!reached(r), `${method} ${JSON.stringify(extra)}: ${r.status} ${r.text}`);
    }
    // tools/list smuggled in a GET body is not answered with the full list either
    const r = await dev(rpc('tools/list'), [], 'GET');
    assert.equal(leakedTool(r.text), undefined);
    assertNothingDeniedRan('bodies on GET/DELETE/OPTIONS');
  });

  test('method-override headers are refused', async () => {
    for (const h of ['X-HTTP-Method-Override', 'X-Method-Override', 'X-HTTP-Method']) {
      for (const [method, value, body] of [
        ['POST', 'GET', rpc('ping')],
        ['GET', 'POST', undefined],
        ['POST', 'PUT', call('push_files')],
      ] as [string, string, string | undefined][]) {
        const r = await dev(body ?? '', [[h, value]], method);
        assert.equal(r.status, 400, `${h}: ${value} on ${method}`);
        assert.ok(!reached(r));
      }
    }
  });

  test('content types and content codings the gateway would not read are refused (415)', async () => {
    const body = call('push_files');
    const variants: [string, [string, string][], Buffer | string][] = [
      ['text/plain', [['content-type', 'text/plain']], body],
      ['form', [['content-type', 'application/x-www-form-urlencoded']], body],
      ['multipart', [['content-type', 'multipart/form-data; boundary=x']], body],
      ['gzip', [['content-encoding', 'gzip']], gzipSync(body)],
      ['deflate', [['content-encoding', 'deflate']], deflateSync(body)],
      ['br', [['content-encoding', 'br']], brotliCompressSync(body)],
      ['gzip, identity', [['content-encoding', 'identity, gzip']], gzipSync(body)],
    ];
    for (const [name, headers, bytes] of variants) {
      const hs = jsonHeaders().filter(([k]) => !headers.some(([h]) => h === k));
      const r = await send('/github-mcp', { headers: [...hs, ...headers], body: bytes });
      assert.equal(r.status, 415, `${name}: ${r.status} ${r.text}`);
      assert.ok(!reached(r), name);
    }
    // no content type at all
    const r = await send('/github-mcp', {
      headers: [
        ['apikey', DEV.apikey],
        ['authorization', DEV.authorization],
      ],
      body,
    });
    assert.equal(r.status, 415);
    assertNothingDeniedRan('content types');
  });
});

describe('method and tool names are exact', () => {
  const nearMethods = [
    'Tools/Call',
    'TOOLS/CALL',
    ' tools/call',
    'tools/call ',
    'tools/call\n',
    'tools//call',
    '/tools/call',
    'tools/call/',
    'tools/call\u0000',
    'tools\u200b/call',
    'tools/call\u200d',
    'tools/call\ufeff',
    'tools\u00a0/call',
    '\uff54\uff4f\uff4f\uff4c\uff53/call',
    'tools/call\t',
    'tools\\call',
    'tools/\u0441all', // Cyrillic с: not a near miss, but not visible ASCII either
  ];
  test('near misses of tools/call are refused with -32600, never forwarded', async () => {
    for (const m of nearMethods) {
      const r = await dev(rpc(m, { name: 'push_files', arguments: {} }));
      assert.equal(r.status, 400, `${JSON.stringify(m)}: ${r.text}`);
      assert.equal(JSON.parse(r.text).error.code, -32600, JSON.stringify(m));
      assert.ok(!reached(r), JSON.stringify(m));
    }
    // a lone surrogate cannot even be read
    const lone = await dev(
      '{"jsonrpc":"2.0","id":1,"method":"tools/call\\ud800","params":{"name":"push_files"}}',
    );
    assert.equal(lone.status, 400);
    for (const m of ['Tools/List', 'tools/list ', 'tools//list', 'TOOLS/LIST']) {
      const r = await dev(rpc(m));
      assert.equal(r.status, 400, m);
      assert.equal(leakedTool(r.text), undefined);
    }
    assertNothingDeniedRan('method names');
  });

  test('request methods sent as notifications are refused', async () => {
    for (const body of [
      call('push_files', NO_ID),
      rpc('tools/list', undefined, NO_ID),
      JSON.stringify([JSON.parse(call('search_code', 1)), JSON.parse(call('push_files', NO_ID))]),
    ]) {
      const r = await dev(body);
      assert.equal(r.status, 400, `${body}: ${r.text}`);
      assert.equal(JSON.parse(r.text).error.code, -32600);
      assert.ok(!reached(r));
    }
    assertNothingDeniedRan('notifications');
  });

  test('tool names differing from a configured one by case or separators, or not visible ASCII', async () => {
    const names = [
      'Push_Files',
      'PUSH_FILES',
      'push-files',
      'push.files',
      'pushfiles',
      'push_files ',
      ' push_files',
      'push_files\u200b',
      'push_\u0000files',
      'push_ﬁles',
      'Merge_Pull_Request',
      'create-repository',
    ];
    for (const name of names) {
      const r = await dev(call(name));
      assert.equal(JSON.parse(r.text).error?.code, -32602, `${JSON.stringify(name)}: ${r.text}`);
      assert.ok(!reached(r), JSON.stringify(name));
    }
    assertNothingDeniedRan('tool names');
  });

  test('look-alike, extra and prototype keys are refused', async () => {
    const bodies = [
      '{"jsonrpc":"2.0","id":1,"method":"ping","Method":"tools/call","params":{"name":"push_files"}}',
      '{"jsonrpc":"2.0","id":1,"METHOD":"tools/call","method":"ping"}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_code","Name":"push_files"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_code","name\\u200b":"push_files"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_code","name":"push_files"}}',
      '{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call","params":{"name":"push_files"}}',
      '{"jsonrpc":"2.0","id":1,"__proto__":{"method":"tools/call"},"params":{"name":"push_files"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_code","__proto__":{"name":"push_files"}}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","tool":"push_files","params":{"name":"search_code"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_code","arguments":{"__proto__":{"q":"x"}}}}',
      '{"jsonrpc":"2.0","id":1,"method":" ping","params":{}}',
      '{"jsonrpc":"2.0","id":1e400,"method":"tools/call","params":{"name":"push_files"}}',
      '{"jsonrpc":"2.0","id":12345678901234567890,"method":"tools/call","params":{"name":"push_files"}}',
      '\uFEFF\uFEFF{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"push_files"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"push_files"}}garbage',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"push_files",}}',
      "{'jsonrpc':'2.0','id':1,'method':'tools/call','params':{'name':'push_files'}}",
    ];
    for (const body of bodies) {
      const r = await dev(body);
      assert.equal(r.status, 400, `${body}: ${r.status} ${r.text}`);
      assert.ok(!reached(r), body);
    }
    // invalid UTF-8 in the body
    const bad = Buffer.concat([
      Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"push'),
      Buffer.from([0xc0, 0xdf]),
      Buffer.from('files"}}'),
    ]);
    assert.equal((await dev(bad)).status, 400);
    assertNothingDeniedRan('keys');
  });

  test('a batch with one denied call is refused whole; what goes upstream is the judged message', async () => {
    const r = await dev(
      JSON.stringify([JSON.parse(rpc('tools/list', undefined, 1)), JSON.parse(call('push_files', 2))]),
    );
    assert.equal(leakedTool(r.text), undefined);
    assertNothingDeniedRan('batch');
    // whitespace, escapes and a big number: forwarded re-written, digits kept
    const ok = await dev(
      '  {"jsonrpc" : "2.0", "id" : 12345678901234, "method" : "tools/call", "params" : {"name" : "search\\u005fcode", "arguments":{"n":123456789012345678901234567890}}}  ',
      [['x-reply', 'json']],
    );
    assert.equal(ok.status, 200, ok.text);
    assert.equal(JSON.parse(ok.text).id, 12345678901234);
    const got = github.received.filter((g) => g.headers['x-attack-id'] === ok.id);
    assert.equal(got.length, 1);
    assert.equal(
      got[0].body,
      '{"jsonrpc":"2.0","id":12345678901234,"method":"tools/call","params":{"name":"search_code","arguments":{"n":123456789012345678901234567890}}}',
    );
  });
});

describe('the forwarded path cannot be steered', () => {
  const steer = [
    '..%2F..%2F..%2Fmcp',
    '..%2f..%2f..%2fmcp',
    '%2E%2E%2F%2E%2E%2F%2E%2E%2Fmcp',
    '..%5C..%5C..%5Cmcp',
    '..%252F..%252F..%252Fmcp',
    '%252E%252E/%252E%252E/%252E%252E/mcp',
    '..;/..;/..;/mcp',
    '%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/mcp',
    '..%EF%BC%8F..%EF%BC%8F..%EF%BC%8Fmcp',
    '%EF%BC%8E%EF%BC%8E/%EF%BC%8E%EF%BC%8E/%EF%BC%8E%EF%BC%8E/mcp',
    '..%00/mcp',
    '..\\..\\..\\mcp',
  ];
  test('the unauthenticated PRM route (it accepts POST) is never walked onto the MCP endpoint', async () => {
    for (const tail of steer) {
      const r = await send(`/.well-known/oauth-protected-resource/github-mcp/${tail}`, {
        headers: [['content-type', 'application/json']],
        body: call('push_files'),
      });
      assert.equal(r.status, 400, `${tail}: ${r.status} ${r.text}`);
      assert.ok(!reached(r), tail);
    }
    assertNothingDeniedRan('path steering (PRM)');
  });

  test('nor by a route path that ends in dots (strip_path joins them onto the service path)', async () => {
    for (const p of [
      'github-mcp..',
      'github-mcp%2e%2e',
      'github-mcp..;x',
      'github-mcp../x',
      'github-mcp.%2E',
    ]) {
      const r = await send(`/.well-known/oauth-protected-resource/${p}`, {
        headers: [['content-type', 'application/json']],
        body: call('push_files'),
      });
      assert.equal(r.status, 400, `${p}: ${r.status} ${r.text}`);
      assert.ok(!reached(r), p);
    }
    assertNothingDeniedRan('strip_path join');
  });

  test('nor is the MCP route walked anywhere else', async () => {
    for (const tail of steer.slice(0, 6)) {
      const r = await dev(call('push_files'), [], 'POST', `/github-mcp/${tail}`);
      assert.equal(r.status, 400, tail);
      assert.ok(!reached(r));
    }
  });

  test('the PRM still reaches the upstream, with resource rewritten (any framing or coding)', async () => {
    for (const style of ['json', 'force-gzip', 'force-br', 'json-bom']) {
      const r = await send('/.well-known/oauth-protected-resource/github-mcp', {
        method: 'GET',
        headers: [
          ['x-reply', style],
          ['accept-encoding', 'gzip, deflate, br'],
        ],
      });
      assert.equal(r.status, 200, style);
      assert.equal(JSON.parse(r.text).resource, 'https://localhost:8443/github-mcp', style);
    }
    const bad = await send('/.well-known/oauth-protected-resource/github-mcp', {
      method: 'GET',
      headers: [['x-reply', 'coding-unknown']],
    });
    assert.equal(bad.status, 502);
    assert.doesNotMatch(bad.text, /githubcopilot/);
  });
});

describe('every tools/list result is filtered, whatever its framing', () => {
  const styles = [
    'json',
    'sse',
    'sse-batch',
    'sse-crlf',
    'sse-bom-data',
    'json-bom',
    'text-plain',
    'no-type',
    'id-string',
    'id-null',
    'dup-key',
    'trickle',
    'force-gzip',
    'force-br',
    'force-deflate',
    'sse-gzip',
  ];
  test('single, batch, any id: only the six read tools come back', async () => {
    for (const style of styles) {
      for (const body of [
        rpc('tools/list'),
        rpc('tools/list', {}, 'list-1'),
        JSON.stringify([JSON.parse(rpc('tools/list', undefined, 7)), JSON.parse(rpc('ping', undefined, 8))]),
      ]) {
        const r = await dev(body, [
          ['x-reply', style],
          ['accept-encoding', 'gzip, br'],
        ]);
        assert.equal(leakedTool(r.text), undefined, `${style} ${body}: ${r.text.slice(0, 300)}`);
        assert.ok(!/github_tool_/.test(r.text), style);
        assert.ok(
          READ_TOOLS.every((t) => r.text.includes(t)),
          `${style}: the allowed tools are missing: ${r.text.slice(0, 200)}`,
        );
      }
    }
  });

  test('beside a plugin that buffers responses, SSE answers are still filtered', async () => {
    for (const style of ['sse', 'sse-batch', 'sse-crlf', 'sse-gzip', 'json']) {
      const r = await dev(rpc('tools/list'), [['x-reply', style]], 'POST', '/buffered-mcp');
      assert.equal(r.status, 200, `${style}: ${r.text}`);
      assert.equal(leakedTool(r.text), undefined, `${style}: ${r.text.slice(0, 300)}`);
      assert.ok(
        READ_TOOLS.every((t) => r.text.includes(t)),
        style,
      );
    }
  });

  test('bodies the gateway cannot decode or parse are not passed on', async () => {
    for (const style of ['gzip-unlabelled', 'coding-unknown']) {
      const r = await dev(rpc('tools/list'), [['x-reply', style]]);
      assert.ok(r.status >= 500 || JSON.parse(r.text).error, `${style}: ${r.status}`);
      assert.equal(leakedTool(r.text), undefined);
      assert.ok(!r.text.includes('H4sI'), style); // no base64/gzip bytes either
    }
  });

  test('a resumed GET stream (Last-Event-ID) replaying a list is filtered too', async () => {
    await dev(rpc('tools/list')); // the upstream remembers the full answer
    const r = await send('/github-mcp', {
      method: 'GET',
      headers: [
        ['accept', 'text/event-stream'],
        ['apikey', DEV.apikey],
        ['authorization', DEV.authorization],
        ['last-event-id', 'r0'],
      ],
    });
    assert.equal(r.status, 200);
    assert.match(r.text, /search_code/);
    assert.equal(leakedTool(r.text), undefined, r.text.slice(0, 300));
  });
});

describe('identity headers and credentials', () => {
  test('look-alike identity headers never reach the upstream; the gateway’s own survive many headers', async () => {
    const before = github.received.length;
    const forged: [string, string][] = [
      ['X_Consumer_Username', 'admin-user'],
      ['x_consumer_groups', 'admin'],
      ['X_Consumer_ID', '00000000-0000-0000-0000-000000000000'],
      ['x_credential_identifier', 'forged'],
    ];
    const filler: [string, string][] = Array.from({ length: 80 }, (_, i) => [`x-filler-${i}`, 'x']);
    const r = await dev(rpc('ping'), [...forged, ...filler]);
    assert.equal(r.status, 200, r.text);
    const got = github.received[before];
    assert.ok(
      Object.keys(got.headers).every((h) => !h.includes('_')),
      Object.keys(got.headers).join(','),
    );
    assert.equal(got.headers['x-consumer-username'], 'dev-user');
    assert.equal(got.headers['x-consumer-groups'], 'developer');
    // too many headers to read them all: refused, not cut
    const many: [string, string][] = Array.from({ length: 120 }, (_, i) => [`x-many-${i}`, 'y']);
    const tooMany = await dev(rpc('ping'), [...forged, ...many]);
    assert.equal(tooMany.status, 431);
    assert.equal(github.received.length, before + 1);
  });

  test('URL-override headers never reach the upstream (it might route on them)', async () => {
    const before = github.received.length;
    const overrides: [string, string][] = [
      ['X-Original-URL', '/admin'],
      ['X-Rewrite-URL', '/admin'],
      ['X-Original-URI', '/admin'],
      ['X-Envoy-Original-Path', '/admin'],
      ['X-Forwarded-Prefix', '/admin'],
      ['X-Forwarded-Uri', '/admin'],
    ];
    const r = await dev(rpc('ping'), overrides);
    assert.equal(r.status, 200, r.text);
    const got = github.received[before];
    // The gateway sets its own X-Forwarded-Prefix (the stripped route path); never the client's.
    for (const [h] of overrides) assert.notEqual(got.headers[h.toLowerCase()], '/admin', h);
    for (const [h] of overrides.slice(0, 4)) assert.equal(got.headers[h.toLowerCase()], undefined, h);
  });

  test('the stored Konnect credential never goes with a request no auth plugin accepted', async () => {
    const before = konnect.received.length;
    const attempts: [string, string, [string, string][], string | undefined][] = [
      ['/konnect-mcp', 'POST', [['content-type', 'application/json']], rpc('tools/list')],
      [
        '/konnect-mcp',
        'POST',
        [
          ['content-type', 'application/json'],
          ['authorization', 'Bearer garbage'],
        ],
        rpc('tools/list'),
      ],
      ['/konnect-mcp', 'OPTIONS', [['content-type', 'application/json']], rpc('tools/list')],
      ['/konnect-mcp', 'OPTIONS', [['origin', 'http://localhost:3000']], rpc('tools/list')],
      [
        '/konnect-mcp',
        'OPTIONS',
        [
          ['origin', 'http://localhost:3000'],
          ['access-control-request-method', 'POST'],
        ],
        rpc('tools/list'),
      ],
      [
        '/konnect-mcp',
        'OPTIONS',
        [
          ['origin', 'http://localhost:3000'],
          ['access-control-request-method', 'POST'],
        ],
        undefined,
      ],
      ['/konnect-mcp', 'GET', [], undefined],
      ['/konnect-mcp', 'GET', [['x-http-method-override', 'POST']], rpc('tools/list')],
      ['/konnect-mcp', 'PUT', [['content-type', 'application/json']], rpc('tools/list')],
      ['/konnect-mcp', 'DELETE', [], rpc('tools/list')],
      ['/konnect-mcp/..%2Fmcp', 'POST', [['content-type', 'application/json']], rpc('tools/list')],
      [
        '/.well-known/oauth-protected-resource/konnect-mcp',
        'POST',
        [['content-type', 'application/json']],
        rpc('tools/list'),
      ],
      ['/.well-known/oauth-protected-resource/konnect-mcp%2F..%2F..%2F..%2Fmcp', 'GET', [], undefined],
      ['/konnect-nocors', 'OPTIONS', [['content-type', 'application/json']], rpc('tools/list')],
      [
        '/konnect-nocors',
        'OPTIONS',
        [
          ['origin', 'http://localhost:3000'],
          ['access-control-request-method', 'POST'],
        ],
        rpc('tools/list'),
      ],
      [
        '/konnect-nocors',
        'POST',
        [
          ['content-type', 'application/json'],
          ['x_authorization', `Bearer ${STORED}`],
        ],
        rpc('ping'),
      ],
    ];
    for (const [path, method, headers, body] of attempts) {
      await send(path, { method, headers, body });
    }
    for (const chunked of [true, false]) {
      const r = await send('/konnect-plain', {
        method: 'OPTIONS',
        headers: [
          ['origin', 'http://localhost:3000'],
          ['access-control-request-method', 'POST'],
          ['content-type', 'application/json'],
        ],
        body: call('push_files'),
        chunked,
      });
      assert.equal(r.status, 400, `preflight with a ${chunked ? 'chunked' : 'sized'} body: ${r.status}`);
      assert.ok(!reached(r), 'a preflight with a body reached the upstream');
    }
    // a real preflight without a body on the route without cors reaches the upstream: undecorated
    const pre = await send('/konnect-nocors', {
      method: 'OPTIONS',
      headers: [
        ['origin', 'http://localhost:3000'],
        ['access-control-request-method', 'POST'],
      ],
    });
    assert.ok(pre.status < 500, `${pre.status} ${pre.text}`);
    const got = konnect.received.slice(before);
    assert.ok(
      got.some((g) => g.method === 'OPTIONS'),
      'the real preflight was forwarded',
    );
    for (const g of got) {
      assert.ok(
        !JSON.stringify(g.headers).includes(STORED),
        `stored credential sent with ${g.method} ${g.path}`,
      );
      assert.equal(g.method, 'OPTIONS', `${g.method} ${g.path} reached the upstream unauthenticated`);
    }
  });
});

describe('DNS rebinding (loopback listener)', () => {
  test('non-loopback Host or Origin: 403; loopback names pass', async () => {
    const port = new URL(s.dp.proxyUrl).port;
    const cases: [[string, string][], number][] = [
      [[['host', 'evil.example']], 403],
      [[['host', `evil.example:${port}`]], 403],
      [[['host', '127.0.0.1.nip.io']], 403],
      [[['origin', 'http://evil.example']], 403],
      [[['origin', 'null']], 403],
      [[['origin', 'http://127.0.0.1.evil.example']], 403],
      [[['origin', 'http://localhost@evil.example']], 403],
      [[['host', 'localhost@evil.example']], 400],
      [[['host', `localhost:${port}/../evil.example`]], 400],
      [[['host', `localhost:${port}`]], 200],
      [[['origin', 'http://localhost:5173']], 200],
      [[['origin', `http://127.0.0.1:${port}`]], 200],
      [
        [
          ['host', `[::1]:${port}`],
          ['origin', 'http://[::1]:3000'],
        ],
        200,
      ],
    ];
    for (const [extra, status] of cases) {
      const r = await dev(rpc('ping'), extra);
      assert.equal(r.status, status, `${JSON.stringify(extra)}: ${r.text}`);
      if (status >= 400) assert.ok(!reached(r));
    }
  });

  test('a route that lists hosts takes its own names', async () => {
    const svc = (await s.api('GET', '/services/github-mcp-service')).body;
    await mustCreate(s.api, `/services/${svc.id}/routes`, {
      name: 'named',
      hosts: ['mcp.example.com'],
      paths: ['/named'],
    });
    await s.synced();
    const r = await send('/named', { method: 'GET', headers: [['host', 'mcp.example.com']] });
    assert.notEqual(r.status, 403);
    const other = await send('/named', { method: 'GET', headers: [['host', 'evil.example']] });
    assert.equal(other.status, 404);
  });
});

describe('generated variants (every position, every invisible character, every encoding)', () => {
  const INVISIBLE = [
    '\u200b',
    '\u200c',
    '\u200d',
    '\u2060',
    '\ufeff',
    '\u00ad',
    '\u0000',
    '\u0001',
    '\u001f',
    '\u007f',
    '\t',
    '\n',
    '\r',
    ' ',
    '\u00a0',
    '\u3000',
    '\u2028',
  ];
  const FULLWIDTH = (c: string) => String.fromCharCode(c.charCodeAt(0) + 0xfee0);
  /** Names a lenient matcher would read as `name`. */
  function nearMisses(name: string, separators: string[]): string[] {
    const out = new Set<string>([name.toUpperCase(), name[0].toUpperCase() + name.slice(1)]);
    for (let i = 0; i < name.length; i++) {
      const c = name[i];
      if (/[a-z]/.test(c)) {
        out.add(name.slice(0, i) + c.toUpperCase() + name.slice(i + 1));
        out.add(name.slice(0, i) + FULLWIDTH(c) + name.slice(i + 1));
      }
      if (separators.includes(c))
        for (const r of separators.filter((x) => x !== c)) out.add(name.slice(0, i) + r + name.slice(i + 1));
    }
    for (let i = 0; i <= name.length; i++)
      for (const ch of INVISIBLE) out.add(name.slice(0, i) + ch + name.slice(i));
    out.delete(name);
    return [...out];
  }

  test('near misses of tools/call and tools/list: all -32600, none forwarded', async () => {
    const methods = [
      ...nearMisses('tools/call', ['/', '//', '\\', '\u2215', '\uff0f']),
      '/tools/call',
      'tools/call/',
    ];
    for (const m of methods) {
      const r = await dev(rpc(m, { name: 'push_files', arguments: {} }));
      assert.equal(r.status, 400, JSON.stringify(m));
      assert.ok(!reached(r), JSON.stringify(m));
    }
    for (const m of nearMisses('tools/list', ['/', '//'])) {
      const r = await dev(rpc(m));
      assert.ok(!reached(r), JSON.stringify(m));
      assert.equal(leakedTool(r.text), undefined);
    }
    assertNothingDeniedRan('generated methods');
  });

  test('near misses of configured tool names: all -32602, none forwarded', async () => {
    for (const tool of ['push_files', 'merge_pull_request']) {
      for (const name of nearMisses(tool, ['_', '-', '.', ''])) {
        const r = await dev(call(name));
        assert.ok(!reached(r), JSON.stringify(name));
        assert.equal(JSON.parse(r.text).error?.code, -32602, JSON.stringify(name));
      }
    }
    assertNothingDeniedRan('generated tool names');
  });

  test('every encoding of a dot segment and a separator, on the unauthenticated route', async () => {
    const dots = [
      '..',
      '%2e%2e',
      '%2E%2e',
      '.%2e',
      '%2e.',
      '%252e%252e',
      '%c0%ae%c0%ae',
      '%ef%bc%8e%ef%bc%8e',
      '..;',
      '..;x',
    ];
    const slashes = ['%2f', '%2F', '%5c', '%5C', '%252f', '%25252f', '\\', '%ef%bc%8f', '%c0%af', '/'];
    for (const d of dots)
      for (const sl of slashes)
        for (const depth of [1, 3]) {
          const tail = Array.from({ length: depth }, () => `${d}${sl}`).join('') + 'mcp';
          const r = await send(`/.well-known/oauth-protected-resource/github-mcp/${tail}`, {
            headers: [['content-type', 'application/json']],
            body: call('push_files'),
          });
          assert.ok(!reached(r), tail);
          assert.ok(r.status === 400 || r.status === 404, `${tail}: ${r.status}`);
        }
    assertNothingDeniedRan('generated paths');
  });
});

test('after all of it: nothing denied ran, and the gateway kept serving', async (t) => {
  assertNothingDeniedRan('whole suite');
  t.diagnostic(
    `${attacks} raw requests sent; ${github.executed.length} tool calls ran upstream, all allowed`,
  );
  const client = await connectMcp(`${s.dp.proxyUrl}/github-mcp`, DEV);
  assert.deepEqual((await listAllTools(client)).sort(), [...READ_TOOLS].sort());
  await client.close();
});
