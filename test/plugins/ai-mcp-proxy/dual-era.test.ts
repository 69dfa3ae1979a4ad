/**
 * MCP 2026-07-28 beside 2025-11-25 on the seed's GitHub route, through a lenient upstream that
 * routes on the revision's headers (test/fixtures/lenient-mcp-server.ts, L12): `Mcp-Method` and
 * `Mcp-Name` decide what it runs, whatever the body says. The developer may call the six read
 * tools only. Invariants after every class: no denied tool runs upstream, no filtered list is
 * marked cacheable by others, and what reaches the upstream carries headers written from the
 * judged body.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../../helpers/stack';
import { runTollgate } from '../../helpers/process';
import { SEED_ENV, seedPointedAt } from '../../helpers/seed';
import { startLenientMcpFixture, type LenientFixture } from '../../fixtures/lenient-mcp-server';
import { ALL_TOOLS, READ_TOOLS } from '../../fixtures/github-mcp-server';
import { waitFor } from '../../helpers/topology';

const MODERN = '2026-07-28';
const DEV = { apikey: 'dev-api-key', authorization: 'Bearer ghu_user_token' };
const DENIED = ALL_TOOLS.filter((t) => !READ_TOOLS.includes(t));

let s: Stack;
let github: LenientFixture;
let sent = 0;

interface Reply {
  id: string;
  status: number;
  headers: Record<string, any>;
  text: string;
  json: any;
}

/** A raw POST to the seed's GitHub route: exact header list (repeats kept), exact body. */
function post(body: unknown, headers: [string, string][], path = '/github-mcp'): Promise<Reply> {
  const url = new URL(s.dp.proxyUrl);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const id = `era-${++sent}`;
  const flat = [
    'host',
    url.host,
    'content-type',
    'application/json',
    'accept',
    'application/json, text/event-stream',
    'apikey',
    DEV.apikey,
    'authorization',
    DEV.authorization,
    'x-attack-id',
    id,
    'content-length',
    String(Buffer.byteLength(text)),
  ];
  for (const [k, v] of headers) flat.push(k, v);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, method: 'POST', headers: flat as any },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const out = Buffer.concat(chunks).toString('utf8');
          // A JSON answer, or the last message of an SSE one.
          const data = /event-stream/.test(String(res.headers['content-type']))
            ? out
                .split('\n')
                .filter((l) => l.startsWith('data:'))
                .pop()
                ?.slice(5)
            : out;
          let json: any;
          try {
            json = JSON.parse(data ?? '');
          } catch {
            json = undefined;
          }
          resolve({ id, status: res.statusCode!, headers: res.headers, text: out, json });
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

const meta = (version = MODERN) => ({
  'io.modelcontextprotocol/protocolVersion': version,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'dual-era-test', version: '1.0.0' },
});
const modernCall = (tool: string, args: Record<string, unknown> = {}, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: tool, arguments: args, _meta: meta() },
});
const modernHeaders = (method: string, name?: string): [string, string][] => [
  ['mcp-protocol-version', MODERN],
  ['mcp-method', method],
  ...(name === undefined ? [] : ([['mcp-name', name]] as [string, string][])),
];
const b64 = (v: string) => `=?base64?${Buffer.from(v).toString('base64')}?=`;

const reached = (r: Reply) => github.received.find((g) => g.headers['x-attack-id'] === r.id);

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
  s = await startStack({ allowedHosts: [] });
  const file = join(mkdtempSync(join(tmpdir(), 'dual-era-')), 'kong.yaml');
  writeFileSync(file, seedPointedAt(github.url));
  const sync = await runTollgate(['sync', file], { env: { TOLLGATE_ADMIN_URL: s.cp.url, ...SEED_ENV } });
  assert.equal(sync.code, 0, sync.stderr);
  await s.synced();
  // The gateway learns the tools' definitions (their x-mcp-header annotations) from a listing.
  const listed = await post(
    { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: meta() } },
    modernHeaders('tools/list'),
  );
  assert.equal(listed.status, 200, listed.text);
});

after(async () => {
  await s?.close();
  await github?.close();
});

/**
 * A POST whose answer may never end: its status and what came until the first newline (or the
 * end), then the request is abandoned.
 */
function firstBytes(body: unknown, headers: [string, string][]): Promise<{ status: number; text: string }> {
  const url = new URL(s.dp.proxyUrl);
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: '/github-mcp',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...DEV,
          ...Object.fromEntries(headers),
        },
      },
      (res) => {
        let got = '';
        const done = () => {
          resolve({ status: res.statusCode ?? 0, text: got });
          req.destroy();
        };
        res.on('data', (c) => {
          got += c;
          if (got.includes('\n')) done();
        });
        res.on('end', done);
      },
    );
    req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
    req.end(text);
  });
}

describe('both eras on one route', () => {
  test('a 2026-07-28 call of an allowed tool runs, with headers written from the judged body', async () => {
    const r = await post(modernCall('search_code'), modernHeaders('tools/call', 'search_code'));
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /ran search_code/);
    const got = reached(r)!;
    assert.equal(got.headers['mcp-method'], 'tools/call');
    assert.equal(got.headers['mcp-name'], 'search_code');
    assert.equal(got.headers['mcp-protocol-version'], MODERN);
  });

  test('a 2025-11-25 call runs as before, and no client Mcp-* routing header reaches the upstream', async () => {
    const r = await post(
      { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'search_code', arguments: {} } },
      [
        ['mcp-protocol-version', '2025-11-25'],
        ['mcp-name', 'push_files'],
        ['mcp-method', 'tools/call'],
      ],
    );
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /ran search_code/);
    const got = reached(r)!;
    assert.equal(got.headers['mcp-name'], undefined);
    assert.equal(got.headers['mcp-method'], undefined);
    assertNothingDeniedRan('legacy with modern headers');
  });

  test('a filtered tools/list is never marked public; ttlMs is kept', async () => {
    const r = await post(
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: meta() } },
      modernHeaders('tools/list'),
    );
    assert.equal(r.status, 200, r.text);
    const result = r.json.result;
    assert.equal(result.cacheScope, 'private');
    assert.equal(result.ttlMs, 60000);
    assert.deepEqual(result.tools.map((t: any) => t.name).sort(), [...READ_TOOLS].sort());
  });

  test('server/discover passes in 2026-07-28; outside its era it is refused', async () => {
    const ok = await post(
      { jsonrpc: '2.0', id: 3, method: 'server/discover', params: { _meta: meta() } },
      modernHeaders('server/discover'),
    );
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json.result.supportedVersions, ['2026-07-28', '2025-11-25']);
    const legacy = await post({ jsonrpc: '2.0', id: 4, method: 'server/discover' }, [
      ['mcp-protocol-version', '2025-11-25'],
    ]);
    assert.equal(legacy.json.error.code, -32601, legacy.text);
    assert.ok(!reached(legacy));
  });
});

describe('headers are part of what is judged', () => {
  test('an allowed tool in the body and a denied one in Mcp-Name never runs the denied one', async () => {
    for (const tool of DENIED.slice(0, 3)) {
      for (const name of [tool, b64(tool), ` ${tool} `, tool.toUpperCase()]) {
        const r = await post(modernCall('search_code'), modernHeaders('tools/call', name));
        assert.equal(r.status, 400, `${name}: ${r.text}`);
        assert.equal(r.json.error.code, -32020, r.text);
        assert.ok(!reached(r), name);
      }
    }
    assertNothingDeniedRan('Mcp-Name');
  });

  test('Mcp-Method naming another method than the body is refused', async () => {
    const body = { jsonrpc: '2.0', id: 5, method: 'tools/list', params: { _meta: meta() } };
    for (const m of ['tools/call', 'TOOLS/LIST', 'tools/list ', b64('tools/call'), 'resources/read']) {
      const r = await post(body, [
        ['mcp-protocol-version', MODERN],
        ['mcp-method', m],
        ['mcp-name', 'push_files'],
      ]);
      assert.equal(r.status, 400, `${JSON.stringify(m)}: ${r.text}`);
      assert.equal(r.json.error.code, -32020);
      assert.ok(!reached(r));
    }
    assertNothingDeniedRan('Mcp-Method');
  });

  test('missing, repeated or unreadable headers are refused (-32020), before any ACL', async () => {
    const body = modernCall('search_code');
    const variants: [string, [string, string][]][] = [
      [
        'no Mcp-Method',
        [
          ['mcp-protocol-version', MODERN],
          ['mcp-name', 'search_code'],
        ],
      ],
      ['no Mcp-Name', modernHeaders('tools/call')],
      [
        'no version header',
        [
          ['mcp-method', 'tools/call'],
          ['mcp-name', 'search_code'],
        ],
      ],
      ['Mcp-Name twice', [...modernHeaders('tools/call', 'push_files'), ['mcp-name', 'search_code']]],
      [
        'Mcp-Name twice, allowed first',
        [...modernHeaders('tools/call', 'search_code'), ['mcp-name', 'push_files']],
      ],
      ['Mcp-Method twice', [...modernHeaders('tools/call', 'search_code'), ['Mcp-Method', 'tools/call']]],
      ['bad base64 padding', modernHeaders('tools/call', '=?base64?c2VhcmNoX2NvZGU?=')],
      ['base64 of a denied tool', modernHeaders('tools/call', b64('push_files'))],
      [
        'upper-case sentinel',
        modernHeaders('tools/call', `=?BASE64?${Buffer.from('search_code').toString('base64')}?=`),
      ],
      [
        'version header differs from _meta',
        [
          ['mcp-protocol-version', '2025-11-25'],
          ['mcp-method', 'tools/call'],
          ['mcp-name', 'search_code'],
        ],
      ],
    ];
    for (const [name, headers] of variants) {
      const r = await post(body, headers);
      assert.equal(r.status, 400, `${name}: ${r.text}`);
      assert.equal(r.json?.error?.code, -32020, `${name}: ${r.text}`);
      assert.ok(!reached(r), name);
    }
    assertNothingDeniedRan('header variants');
  });

  test('the Base64 sentinel and optional whitespace are read as the spec says', async () => {
    for (const name of [b64('search_code'), '  search_code\t']) {
      const r = await post(modernCall('search_code'), modernHeaders('tools/call', name));
      assert.equal(r.status, 200, `${name}: ${r.text}`);
      assert.equal(reached(r)!.headers['mcp-name'], 'search_code');
    }
  });

  test('Mcp-Param-* is checked against the tool’s x-mcp-header arguments and written again', async () => {
    const call = modernCall('get_file_contents', { owner: 'octo', path: 'README.md' });
    const base = modernHeaders('tools/call', 'get_file_contents');
    const good = await post(call, [...base, ['mcp-param-owner', 'octo']]);
    assert.equal(good.status, 200, good.text);
    assert.equal(reached(good)!.headers['mcp-param-owner'], 'octo');
    for (const [name, extra] of [
      ['other value', [['mcp-param-owner', 'evil']]],
      ['missing', []],
      [
        'repeated',
        [
          ['mcp-param-owner', 'octo'],
          ['mcp-param-owner', 'evil'],
        ],
      ],
      [
        'unknown parameter',
        [
          ['mcp-param-owner', 'octo'],
          ['mcp-param-repo', 'x'],
        ],
      ],
    ] as [string, [string, string][]][]) {
      const r = await post(call, [...base, ...extra]);
      assert.equal(r.status, 400, `${name}: ${r.text}`);
      assert.equal(r.json.error.code, -32020);
      assert.ok(!reached(r), name);
    }
  });

  test('the version: missing _meta is -32602, an unknown version -32022 with what is supported', async () => {
    const noMeta = await post(
      { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'search_code', arguments: {} } },
      modernHeaders('tools/call', 'search_code'),
    );
    assert.equal(noMeta.status, 400, noMeta.text);
    assert.equal(noMeta.json.error.code, -32602);
    const future = await post(
      {
        ...modernCall('search_code'),
        params: { name: 'search_code', arguments: {}, _meta: meta('2099-01-01') },
      },
      [
        ['mcp-protocol-version', '2099-01-01'],
        ['mcp-method', 'tools/call'],
        ['mcp-name', 'search_code'],
      ],
    );
    assert.equal(future.status, 400, future.text);
    assert.equal(future.json.error.code, -32022);
    assert.equal(future.json.error.data.requested, '2099-01-01');
    assert.ok(future.json.error.data.supported.includes(MODERN));
    assert.ok(!reached(noMeta) && !reached(future));
  });
});

describe('era confusion', () => {
  test('a 2025 session id on a 2026 request, and 2025-only methods under 2026, are refused', async () => {
    const withSession = await post(modernCall('search_code'), [
      ...modernHeaders('tools/call', 'search_code'),
      ['mcp-session-id', 'abc'],
    ]);
    assert.equal(withSession.status, 400, withSession.text);
    assert.ok(!reached(withSession));
    for (const method of ['initialize', 'ping', 'logging/setLevel']) {
      const r = await post(
        { jsonrpc: '2.0', id: 10, method, params: { _meta: meta(), protocolVersion: MODERN } },
        modernHeaders(method),
      );
      assert.equal(r.status, 404, `${method}: ${r.text}`);
      assert.equal(r.json.error.code, -32601);
      assert.ok(!reached(r), method);
    }
  });

  test('initialize mid-session, or beside other messages, never reaches the upstream', async () => {
    const init = (id: number) => ({
      jsonrpc: '2.0',
      id,
      method: 'initialize',
      params: { protocolVersion: MODERN, capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    const within = await post(init(30), [
      ['mcp-protocol-version', '2025-11-25'],
      ['mcp-session-id', 'an-existing-session'],
    ]);
    assert.equal(within.status, 400, within.text);
    assert.equal(within.json.error.code, -32600);
    assert.ok(!reached(within));
    const beside = await post(
      [
        init(31),
        { jsonrpc: '2.0', id: 32, method: 'tools/call', params: { name: 'push_files', arguments: {} } },
      ],
      [],
    );
    assert.equal(beside.status, 400, beside.text);
    assert.ok(!reached(beside));
    assertNothingDeniedRan('initialize in a batch');
  });

  test('a batch under 2026-07-28 is refused whole', async () => {
    const r = await post(
      [modernCall('search_code', {}, 1), modernCall('push_files', {}, 2)],
      modernHeaders('tools/call', 'search_code'),
    );
    assert.equal(r.status, 400, r.text);
    assert.ok(!reached(r));
    assertNothingDeniedRan('batch');
  });
});

describe('multi-round-trip requests', () => {
  test('a retry carrying requestState and inputResponses is judged like any call: a denied tool stays denied', async () => {
    // State minted for an allowed tool (or for another consumer) does not open a denied one.
    const retry = (tool: string) => ({
      jsonrpc: '2.0',
      id: 21,
      method: 'tools/call',
      params: {
        name: tool,
        arguments: {},
        inputResponses: { confirm: { action: 'accept', content: { ok: true } } },
        requestState: 'opaque-state-from-search_code',
        _meta: meta(),
      },
    });
    const denied = await post(retry('push_files'), modernHeaders('tools/call', 'push_files'));
    assert.equal(denied.json?.error?.code, -32602, denied.text);
    assert.ok(!reached(denied));
    const allowed = await post(retry('search_code'), modernHeaders('tools/call', 'search_code'));
    assert.equal(allowed.status, 200, allowed.text);
    // requestState goes upstream untouched.
    assert.match(reached(allowed)!.body, /"requestState":"opaque-state-from-search_code"/);
    assertNothingDeniedRan('MRTR retry');
  });
});

describe('analytics', () => {
  test('each call is recorded with its revision and client; a 2026-07-28 call has no session', async () => {
    const r = await post(modernCall('list_issues'), modernHeaders('tools/call', 'list_issues'));
    assert.equal(r.status, 200, r.text);
    const legacy = await post(
      { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'list_issues', arguments: {} } },
      [['mcp-protocol-version', '2025-11-25']],
    );
    assert.equal(legacy.status, 200, legacy.text);
    const records = await waitFor('both calls recorded', async () => {
      const page = await s.api('GET', '/analytics/requests?tool=list_issues');
      return page.body.data?.length >= 2 ? page.body.data : undefined;
    });
    const modern = records.find((x: any) => x.mcp_protocol_version === MODERN);
    assert.ok(modern, JSON.stringify(records));
    assert.equal(modern.mcp_client, 'dual-era-test/1.0.0');
    assert.equal(modern.mcp_session_id, null);
    assert.ok(records.some((x: any) => x.mcp_protocol_version === '2025-11-25'));
  });
});

describe('responses', () => {
  test('a 2026-07-28 answer that is neither JSON nor an event stream is refused as it arrives', async () => {
    for (const style of ['text-plain', 'no-type']) {
      const r = await post({ jsonrpc: '2.0', id: 12, method: 'tools/list', params: { _meta: meta() } }, [
        ...modernHeaders('tools/list'),
        ['x-reply', style],
      ]);
      assert.equal(r.status, 502, `${style}: ${r.text}`);
      assert.equal(r.json?.error?.code, -32603, r.text);
      assert.match(r.json.error.message, /Content-Type/);
      assert.doesNotMatch(r.text, /push_files/);
    }
  });

  test('a JSON answer that does not end is passed value by value, and refused at once when it is no JSON', async () => {
    for (const era of ['2026', '2025'] as const) {
      const body =
        era === '2026'
          ? { jsonrpc: '2.0', id: 13, method: 'tools/list', params: { _meta: meta() } }
          : { jsonrpc: '2.0', id: 13, method: 'tools/list' };
      const headers: [string, string][] =
        era === '2026' ? modernHeaders('tools/list') : [['mcp-protocol-version', '2025-11-25']];
      // The upstream sends the list and keeps the response open: the filtered list arrives.
      const held = await firstBytes(body, [...headers, ['x-reply', 'json-held']]);
      assert.equal(held.status, 200, `${era}: ${held.text}`);
      const list = JSON.parse(held.text.split('\n')[0]);
      assert.deepEqual(list.result.tools.map((t: any) => t.name).sort(), [...READ_TOOLS].sort());
      if (era === '2026') assert.equal(list.result.cacheScope, 'private');
      // The upstream sends the start of a page and keeps it open: refused now, not at its end.
      const html = await firstBytes(body, [...headers, ['x-reply', 'html-held']]);
      assert.equal(html.status, 502, `${era}: ${html.text}`);
      assert.equal(JSON.parse(html.text).error.code, -32603);
      assert.doesNotMatch(html.text, /html/);
    }
  });

  test('a result of a type nobody knows becomes an error; a listen stream passes with its notifications', async () => {
    const odd = await post(modernCall('search_code'), [
      ...modernHeaders('tools/call', 'search_code'),
      ['x-reply', 'result-type-odd'],
    ]);
    assert.equal(odd.json.error.code, -32603, odd.text);
    const listen = await post(
      {
        jsonrpc: '2.0',
        id: 11,
        method: 'subscriptions/listen',
        params: { _meta: meta(), notifications: { toolsListChanged: true } },
      },
      modernHeaders('subscriptions/listen'),
    );
    assert.equal(listen.status, 200, listen.text);
    assert.match(listen.headers['content-type'], /text\/event-stream/);
    assert.match(listen.text, /notifications\/subscriptions\/acknowledged/);
    assert.match(listen.text, /notifications\/tools\/list_changed/);
  });
});
