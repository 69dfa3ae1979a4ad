/**
 * What an operator sees when something fails: Kong's access log (one line per request, routed
 * or not, with the request id the client got), Kong's error log naming the upstream failure as
 * nginx does, the status Kong answers (a DNS failure is 503 "name resolution failed"), and the
 * same reason in the analytics record. Unknown analytics filters are errors, never ignored.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDataPlane, type RunningDataPlane } from '../../data-plane/main';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane';
import { adminClient } from '../helpers/http';
import { mustCreate } from '../helpers/stack';
import { waitFor } from '../helpers/topology';

let cp: TestControlPlane;
let dp: RunningDataPlane;
let upstream: Server;
const dir = mkdtempSync(join(tmpdir(), 'proxy-logs-'));
const accessLog = join(dir, 'access.log');
const errorLog = join(dir, 'error.log');
const adminLog = join(dir, 'admin.log');

before(async () => {
  upstream = createServer((_q, r) => r.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  cp = await startTestControlPlane({ adminAccessLog: adminLog });
  const api = adminClient(cp.url);
  const port = (upstream.address() as AddressInfo).port;
  for (const [name, url] of [
    ['ok', `http://127.0.0.1:${port}`],
    ['refused', 'http://127.0.0.1:9'],
    ['nodns', 'http://nothing-here.invalid'],
  ]) {
    await mustCreate(api, '/services', { name, url, retries: 0 });
    await mustCreate(api, `/services/${name}/routes`, { name, paths: [`/${name}`] });
  }
  dp = await startDataPlane({
    proxyListen: { host: '127.0.0.1', port: 0 },
    proxySslListen: null,
    statusListen: { host: '127.0.0.1', port: 0 },
    cpUrl: cp.cp.clusterUrl,
    dataDir: join(dir, 'dp'),
    nodeId: '',
    accessLog,
    errorLog,
  });
  const { hash } = (await api('GET', '/config')).body;
  await waitFor('the data plane to sync', async () => dp.holder.current?.hash === hash);
});
after(async () => {
  await dp?.close();
  await cp?.close();
  upstream?.close();
});

test('access and error logs in Kong’s format; upstream failures named; the reason in analytics', async () => {
  const get = async (path: string) => {
    const r = await fetch(dp.proxyUrl + path, { headers: { 'user-agent': 'agent "x"/1.0' } });
    return { status: r.status, id: r.headers.get('x-tollgate-request-id')!, body: await r.text() };
  };
  const ok = await get('/ok/a?b=1');
  const refused = await get('/refused');
  const nodns = await get('/nodns');
  const none = await get('/none');
  assert.equal(ok.status, 200);
  assert.equal(refused.status, 502);
  assert.deepEqual(JSON.parse(refused.body), {
    message: 'An invalid response was received from the upstream server',
    request_id: refused.id,
  });
  assert.equal(nodns.status, 503);
  assert.equal(JSON.parse(nodns.body).message, 'name resolution failed');
  assert.equal(none.status, 404);

  await waitFor('the logs written', async () => {
    try {
      return (
        readFileSync(accessLog, 'utf8').split('\n').length > 4 &&
        readFileSync(errorLog, 'utf8').includes('name resolution')
      );
    } catch {
      return false;
    }
  });
  const lines = readFileSync(accessLog, 'utf8').trim().split('\n');
  const line = (id: string) => lines.find((l) => l.endsWith(`kong_request_id: "${id}"`));
  assert.match(
    line(ok.id)!,
    /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/ok\/a\?b=1 HTTP\/1\.1" 200 2 "-" "agent \\x22x\\x22\/1\.0" kong_request_id: "[0-9a-f-]{36}"$/,
  );
  assert.match(line(refused.id)!, /"GET \/refused HTTP\/1\.1" 502 \d+ /);
  assert.match(line(nodns.id)!, /" 503 /);
  assert.match(line(none.id)!, /"GET \/none HTTP\/1\.1" 404 /, 'a request no route matched is logged too');

  const errors = readFileSync(errorLog, 'utf8').trim().split('\n');
  const refusedError = errors.find((l) => l.includes(refused.id))!;
  assert.match(
    refusedError,
    /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[error\] \d+#0: \*0 connect\(\) failed \(111: Connection refused\) while connecting to upstream, client: 127\.0\.0\.1, server: kong, request: "GET \/refused HTTP\/1\.1", upstream: "http:\/\/127\.0\.0\.1:9\/", host: "127\.0\.0\.1:\d+", request_id: "[0-9a-f-]{36}"$/,
  );
  assert.match(
    errors.find((l) => l.includes(nodns.id))!,
    /name resolution failed \(ENOTFOUND\)/,
  );

  const api = adminClient(cp.url);
  const record = await waitFor('the record of the refused call', async () => {
    const r = await api('GET', '/analytics/requests?route=refused');
    return r.body?.data?.find((x: any) => x.request_id === refused.id);
  });
  assert.equal(
    record.detail.upstream_error,
    'connect() failed (111: Connection refused) while connecting to upstream',
  );
  const bad = await api('GET', '/analytics/requests?consumer=dev-user&consumr=x');
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /unknown filter 'consumr'/);
});

test('the control plane has /metrics: config version, the fleet, held tools, its process', async () => {
  const r = await fetch(`${cp.url}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await r.text();
  const version = (await adminClient(cp.url)('GET', '/config')).body.version;
  assert.match(text, new RegExp(`^tollgate_config_version ${version}$`, 'm'));
  assert.match(text, /^tollgate_data_planes\{connected="true",sync_status="normal"\} 1$/m);
  assert.match(
    text,
    new RegExp(
      `^tollgate_data_plane_config_versions_behind\\{node_id="${dp.nodeId}",hostname="[^"]+"\\} 0$`,
      'm',
    ),
  );
  assert.match(text, /^tollgate_mcp_tools_held 0$/m);
  assert.match(text, /^tollgate_admin_requests_total [1-9]\d*$/m);
  assert.match(text, /^tollgate_control_plane_process_resident_memory_bytes \d+/m);
  // The Admin API's access log (Kong's admin_access_log), with the id its answer carried.
  const id = r.headers.get('x-tollgate-admin-request-id');
  assert.match(id ?? '', /^[0-9a-f-]{36}$/);
  const line = await waitFor('the admin access line', async () =>
    readFileSync(adminLog, 'utf8')
      .split('\n')
      .find((l) => l.endsWith(`kong_request_id: "${id}"`)),
  );
  assert.match(
    line,
    /^127\.0\.0\.1 - - \[.+\] "GET \/metrics HTTP\/1\.1" 200 \d+ "-" "[^"]*" kong_request_id/,
  );
});
