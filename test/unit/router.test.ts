import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, literalPrefix, type RouteLike } from '../../data-plane/router/router';
import { joinUpstreamPath, normalizePath } from '../../data-plane/router/path';

let seq = 0;
function route(name: string, fields: Partial<RouteLike>): RouteLike {
  return { id: name, name, protocols: ['http', 'https'], regex_priority: 0, created_at: seq++, ...fields };
}
const req = (path: string, extra: Partial<Parameters<Router<RouteLike>['match']>[0]> = {}) => ({
  method: 'GET',
  host: 'gw.example.com',
  port: 8000,
  path,
  protocol: 'http' as const,
  headers: {},
  ...extra,
});

test('prefix paths: plain string prefix, longest wins', () => {
  const r = new Router([
    route('root', { paths: ['/'] }),
    route('foo', { paths: ['/foo'] }),
    route('foobar', { paths: ['/foo/bar'] }),
  ]);
  assert.equal(r.match(req('/foo/bar/baz'))!.route.name, 'foobar');
  assert.equal(r.match(req('/foo/baz'))!.route.name, 'foo');
  assert.equal(r.match(req('/foobar'))!.route.name, 'foo');
  assert.equal(r.match(req('/other'))!.route.name, 'root');
  assert.equal(r.match(req('/foo/bar'))!.matchedLength, 8);
});

test('regex paths are evaluated before prefix paths, by regex_priority', () => {
  const r = new Router([
    route('prefix', { paths: ['/version/any/'] }),
    route('re0', { paths: ['~/version/\\d+/status/\\d+'] }),
    route('re6', { paths: ['~/version/\\d+'], regex_priority: 6 }),
  ]);
  assert.equal(r.match(req('/version/1/status/2'))!.route.name, 're6');
  assert.equal(r.match(req('/version/any/x'))!.route.name, 'prefix');
  const captured = new Router([route('cap', { paths: ['~/users/(?<user>[^/]+)/items/(\\d+)'] })]).match(
    req('/users/bob/items/7'),
  )!;
  assert.deepEqual(captured.captures, { unnamed: ['bob', '7'], named: { user: 'bob' } });
});

test('more matching categories beat fewer; exact hosts beat wildcards', () => {
  const r = new Router([
    route('path-only', { paths: ['/api'] }),
    route('host-and-path', { paths: ['/api'], hosts: ['*.example.com'] }),
    route('exact-host-and-path', { paths: ['/api'], hosts: ['gw.example.com'] }),
    route('method', { paths: ['/api'], hosts: ['gw.example.com'], methods: ['POST'] }),
  ]);
  assert.equal(r.match(req('/api'))!.route.name, 'exact-host-and-path');
  assert.equal(r.match(req('/api', { method: 'POST' }))!.route.name, 'method');
  assert.equal(r.match(req('/api', { host: 'other.example.com' }))!.route.name, 'host-and-path');
  assert.equal(r.match(req('/api', { host: 'example.org' }))!.route.name, 'path-only');
});

test('hosts with ports and suffix wildcards; headers; protocols', () => {
  const r = new Router([
    route('port', { hosts: ['api.example.com:8443'] }),
    route('suffix', { hosts: ['api.example.*'] }),
    route('hdr', { paths: ['/h'], headers: { 'x-version': ['v2', '~*^beta-\\d+$'] } }),
    route('https-only', { paths: ['/secure'], protocols: ['https'] }),
  ]);
  assert.equal(r.match(req('/', { host: 'api.example.com', port: 8443 }))!.route.name, 'port');
  assert.equal(r.match(req('/', { host: 'api.example.org' }))!.route.name, 'suffix');
  assert.equal(r.match(req('/h', { headers: { 'x-version': 'V2' } }))!.route.name, 'hdr');
  assert.equal(r.match(req('/h', { headers: { 'x-version': 'beta-12' } }))!.route.name, 'hdr');
  assert.equal(r.match(req('/h', { headers: { 'x-version': 'v3' } })), null);
  assert.equal(r.match(req('/secure')), null);
  assert.equal(r.match(req('/secure', { protocol: 'https' }))!.route.name, 'https-only');
});

test('regex index by literal prefix finds the same routes as a full scan', () => {
  assert.equal(literalPrefix('/re40/\\d+$'), '/re40/');
  assert.equal(literalPrefix('/ab?c'), '/a');
  assert.equal(literalPrefix('(a|b)/x'), '');
  assert.equal(literalPrefix('/x.y'), '/x');
  assert.equal(literalPrefix('/v1/users|/v2/users'), '');
  assert.equal(
    new Router([route('alt', { paths: ['~/v1/users|/v2/users'] })]).match(req('/v2/users'))!.route.name,
    'alt',
  );
  const routes = [
    route('a', { paths: ['~/v1/(users|groups)/\\d+'] }),
    route('b', { paths: ['~(/alt|/other)/\\w+'] }),
    route('c', { paths: ['~/v1?/legacy'] }),
  ];
  const r = new Router(routes);
  assert.equal(r.match(req('/v1/users/4'))!.route.name, 'a');
  assert.equal(r.match(req('/alt/x'))!.route.name, 'b');
  assert.equal(r.match(req('/v/legacy'))!.route.name, 'c');
  assert.equal(r.match(req('/v1/legacy'))!.route.name, 'c');
});

test('path normalisation and upstream path joining (v0 and v1)', () => {
  assert.equal(normalizePath('/a/./b/../c'), '/a/c');
  assert.equal(normalizePath('/%61pi/%2Fx'), '/api/%2Fx');
  assert.equal(joinUpstreamPath('/mcp', '', 'v0'), '/mcp');
  assert.equal(joinUpstreamPath('/mcp', '/', 'v0'), '/mcp/');
  assert.equal(joinUpstreamPath('/s', 'req', 'v0'), '/s/req');
  assert.equal(joinUpstreamPath('/s', 'req', 'v1'), '/sreq');
  assert.equal(joinUpstreamPath('/s/', '/req', 'v1'), '/s/req');
  assert.equal(joinUpstreamPath(null, '/x', 'v0'), '/x');
});
