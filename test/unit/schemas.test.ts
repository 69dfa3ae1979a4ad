import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSeed } from '../helpers/seed';
import { validate } from '../../shared/schema/validator';
import { schemaViolation } from '../../shared/errors';
import { PLUGINS } from '../../shared/plugins/registry';
import { pluginEntity, serviceEntity, routeEntity, consumerEntity } from '../../shared/entities';

function seedPlugins(): any[] {
  const out: any[] = [];
  for (const svc of loadSeed().services) for (const r of svc.routes ?? []) out.push(...(r.plugins ?? []));
  return out;
}

test('every plugin config of the seed validates against its schema', () => {
  const plugins = seedPlugins();
  assert.equal(plugins.length, 9);
  for (const p of plugins) {
    const def = PLUGINS.get(p.name);
    assert.ok(def, `known plugin ${p.name}`);
    const r = validate(def.schema, p.config);
    assert.ok(r.ok, `${p.name}: ${JSON.stringify(!r.ok && r.errors)}`);
    const checks = def.check?.(r.value) ?? [];
    assert.deepEqual(checks, [], `${p.name} checks`);
  }
});

test('defaults are filled in without touching the input', () => {
  const input = { key_names: ['apikey'] };
  const r = validate(PLUGINS.get('key-auth')!.schema, input);
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    key_names: ['apikey'],
    hide_credentials: false,
    anonymous: null,
    key_in_header: true,
    key_in_query: true,
    key_in_body: false,
    run_on_preflight: true,
    realm: null,
  });
  assert.deepEqual(input, { key_names: ['apikey'] });
  const mcp = validate(PLUGINS.get('ai-mcp-proxy')!.schema, { mode: 'passthrough-listener' });
  assert.ok(mcp.ok);
  assert.deepEqual(mcp.value.logging, { log_statistics: false, log_payloads: false, log_audits: false });
  assert.equal(mcp.value.server.session.managed, true);
  assert.equal(mcp.value.consumer_identifier, 'username');
});

test('nested errors carry exact paths, Kong messages and nested fields', () => {
  const config = {
    mode: 'passthrough-listener',
    tools: [
      { name: 'a', description: 'a' },
      { name: 'b', description: 'b' },
      { name: 'c', description: 'c' },
      { name: 'd', description: 'd', acl: { allow: 'admin' } },
    ],
  };
  const r = validate(PLUGINS.get('ai-mcp-proxy')!.schema, config);
  assert.ok(!r.ok);
  const body = schemaViolation(r.errors.map((e) => ({ ...e, path: ['config', ...e.path] })));
  assert.equal(body.code, 2);
  assert.equal(body.name, 'schema violation');
  assert.equal(body.message, 'schema violation (config.tools.4.acl.allow: expected an array)');
  assert.deepEqual(body.fields, {
    config: { tools: [null, null, null, { acl: { allow: 'expected an array' } }] },
  });
});

test('type, enum, range, unknown-field and required messages match Kong', () => {
  const r = validate(serviceEntity.schema, {
    host: 'h',
    port: 70000,
    protocol: 'ftp',
    retries: 'x',
    bogus: 1,
  });
  assert.ok(!r.ok);
  const byPath = Object.fromEntries(r.errors.map((e) => [e.path.join('.'), e.message]));
  assert.equal(byPath.port, 'value should be between 0 and 65535');
  assert.equal(
    byPath.protocol,
    'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp, ws, wss',
  );
  assert.equal(byPath.retries, 'expected an integer');
  assert.equal(byPath.bogus, 'unknown field');
  const missing = validate(serviceEntity.schema, {});
  assert.ok(!missing.ok);
  assert.deepEqual(missing.errors, [{ path: ['host'], message: 'required field missing' }]);
});

test('entity checks: consumers need a username or custom_id; routes need a matcher', () => {
  assert.deepEqual(consumerEntity.check!({ username: null, custom_id: null }), [
    { path: ['@entity'], message: "at least one of these fields must be non-empty: 'custom_id', 'username'" },
  ]);
  const body = schemaViolation(consumerEntity.check!({}));
  assert.deepEqual(body.fields, {
    '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"],
  });
  assert.equal(
    body.message,
    "schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')",
  );
  const r = validate(routeEntity.schema, {});
  assert.ok(r.ok);
  assert.equal(
    routeEntity.check!(r.value)[0].message,
    "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'",
  );
});

test('form input is coerced; JSON input is strict', () => {
  const form = validate(
    PLUGINS.get('key-auth')!.schema,
    { key_names: 'apikey', hide_credentials: 'true' },
    true,
  );
  assert.ok(form.ok);
  assert.deepEqual(form.value.key_names, ['apikey']);
  assert.equal(form.value.hide_credentials, true);
  const json = validate(PLUGINS.get('key-auth')!.schema, { key_names: 'apikey', hide_credentials: 'true' });
  assert.ok(!json.ok);
});

test('unknown plugins and datakit wiring errors are schema violations', () => {
  assert.match(pluginEntity.check!({ name: 'nope' })[0].message, /plugin 'nope' not enabled/);
  const dk = PLUGINS.get('datakit')!;
  const cyclic = validate(dk.schema, {
    nodes: [
      { name: 'A', type: 'jq', jq: '.', input: 'B' },
      { name: 'B', type: 'jq', jq: '.', input: 'A' },
    ],
  });
  assert.ok(cyclic.ok);
  assert.match(dk.check!(cyclic.value)[0].message, /circular dependency/);
  const unknown = validate(dk.schema, { nodes: [{ name: 'A', type: 'jq', jq: '.', input: 'NOPE.body' }] });
  assert.ok(unknown.ok);
  assert.deepEqual(dk.check!(unknown.value), [
    { path: ['nodes', 0, 'input'], message: "unknown node 'NOPE'" },
  ]);
  const badType = validate(dk.schema, { nodes: [{ name: 'A', type: 'exit', status: 100 }] });
  assert.ok(badType.ok);
  assert.deepEqual(dk.check!(badType.value), [
    { path: ['nodes', 0, 'status'], message: 'value should be between 200 and 599' },
  ]);
});
