/**
 * `tollgate file openapi2mcp`: an OpenAPI 3 document (with local and cross-file $refs) becomes a
 * decK file that `tollgate sync` applies unchanged, and the MCP SDK client then calls the API's
 * operations as tools through the data plane.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { runTollgate } from '../helpers/process';
import { startStack, type Stack } from '../helpers/stack';
import { connectMcp } from '../helpers/mcp';
import { startPetstoreApi, type PetstoreApi } from '../fixtures/petstore-api';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'openapi');
let s: Stack;
let api: PetstoreApi;
let dir: string;

before(async () => {
  api = await startPetstoreApi();
  s = await startStack();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-openapi-'));
  const spec = readFileSync(join(FIXTURES, 'petstore.yaml'), 'utf8').replace(
    "default: '8080'",
    `default: '${api.port}'`,
  );
  writeFileSync(join(dir, 'petstore.yaml'), spec);
  copyFileSync(join(FIXTURES, 'schemas.yaml'), join(dir, 'schemas.yaml'));
});

after(async () => {
  await s?.close();
  await api?.close();
});

test('an OpenAPI document becomes a decK file that syncs and serves its operations as MCP tools', async () => {
  const out = join(dir, 'kong.yaml');
  const conv = await runTollgate(['file', 'openapi2mcp', join(dir, 'petstore.yaml'), '-o', out]);
  assert.equal(conv.code, 0, conv.stderr);
  assert.match(
    conv.stderr,
    /PUT \/pets\/\{petId\}\/photo: skipped \(request body media types multipart\/form-data/,
  );
  const deck = YAML.parse(readFileSync(out, 'utf8'));
  const service = deck.services[0];
  assert.equal(service.name, 'petstore');
  assert.equal(service.url, `http://127.0.0.1:${api.port}/api`);
  const plugin = service.routes[0].plugins[0];
  assert.equal(plugin.config.mode, 'conversion-listener');
  const tools = plugin.config.tools;
  assert.deepEqual(
    tools.map((t: any) => t.name),
    ['list-pets', 'create-pet', 'get-pet-by-id', 'remove-pet'],
  );
  const get = tools.find((t: any) => t.name === 'get-pet-by-id');
  assert.equal(get.description, 'Info for a specific pet');
  assert.equal(get.path, '/api/pets/{petId}');
  assert.deepEqual(get.parameters[0], {
    name: 'petId',
    in: 'path',
    required: true,
    description: 'The id of the pet',
    schema: { type: 'string' },
  });
  // $refs resolved: components and another file
  assert.equal(tools.find((t: any) => t.name === 'list-pets').parameters[0].schema.maximum, 100);
  assert.deepEqual(
    tools.find((t: any) => t.name === 'create-pet').request_body.content['application/json'].schema.required,
    ['name'],
  );
  assert.doesNotMatch(readFileSync(out, 'utf8'), /\$ref/);

  const sync = await runTollgate(['sync', out], { env: { TOLLGATE_ADMIN_URL: s.cp.url } });
  assert.equal(sync.code, 0, sync.stderr + sync.stdout);
  await s.synced();
  const again = await runTollgate(['diff', out, '--non-zero-exit-code'], {
    env: { TOLLGATE_ADMIN_URL: s.cp.url },
  });
  assert.equal(again.code, 0, `applies unchanged: ${again.stdout}`);

  const client = await connectMcp(`${s.dp.proxyUrl}/petstore-mcp`, {});
  const listed = await client.listTools();
  assert.deepEqual(listed.tools.map((t) => t.name).sort(), [
    'create-pet',
    'get-pet-by-id',
    'list-pets',
    'remove-pet',
  ]);
  const pet = await client.callTool({ name: 'get-pet-by-id', arguments: { path_petId: '1' } });
  assert.deepEqual(pet.structuredContent, { id: 1, name: 'Rex', tag: 'dog' });
  const list = await client.callTool({ name: 'list-pets', arguments: { query_limit: 2, query_tag: 'cat' } });
  assert.deepEqual(list.structuredContent, { result: [{ id: 2, name: 'Tom', tag: 'cat' }] });
  const created = await client.callTool({
    name: 'create-pet',
    arguments: { body: { name: 'Nemo', tag: 'fish' } },
  });
  assert.equal((created.structuredContent as any).name, 'Nemo');
  const refused = await client.callTool({
    name: 'create-pet',
    arguments: { body: { name: 'x', owner: 'y' } },
  });
  assert.equal(refused.isError, true);
  assert.match((refused.content as any)[0].text, /additional properties 'owner'/);
  const removed = await client.callTool({ name: 'remove-pet', arguments: { path_petId: '2' } });
  assert.equal(removed.isError, undefined);
  assert.ok(api.received.some((r) => r.method === 'DELETE' && r.url === '/api/pets/2'));
  await client.close();
});

test("the OpenAPI Initiative's Petstore example: validate accepts the file, and its tools work", async () => {
  const out = join(dir, 'oai.yaml');
  const conv = await runTollgate(['file', 'openapi2mcp', join(FIXTURES, 'petstore-oai-3.0.yaml'), '-o', out]);
  assert.equal(conv.code, 0, conv.stderr);
  const validate = await runTollgate(['validate', out]);
  assert.equal(validate.code, 0, validate.stderr);
  // The document's server is on the internet; this test's copy of the API is on loopback.
  const deck = YAML.parse(readFileSync(out, 'utf8'));
  assert.equal(deck.services[0].url, 'http://petstore.swagger.io/v1');
  deck.services[0].url = `http://127.0.0.1:${api.port}/v1`;
  writeFileSync(out, YAML.stringify(deck));
  const sync = await runTollgate(['sync', out, '--select-tag', 'oai'], {
    env: { TOLLGATE_ADMIN_URL: s.cp.url },
  });
  assert.equal(sync.code, 0, sync.stderr + sync.stdout);
  await s.synced();
  const client = await connectMcp(`${s.dp.proxyUrl}/swagger-petstore-mcp`, {});
  assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), [
    'create-pets',
    'list-pets',
    'show-pet-by-id',
  ]);
  const list = await client.callTool({ name: 'list-pets', arguments: { query_limit: 1 } });
  assert.deepEqual(list.structuredContent, { result: [{ id: 1, name: 'Rex', tag: 'dog' }] });
  // (the first test removed pet 2)
  const one = await client.callTool({ name: 'show-pet-by-id', arguments: { path_petId: '1' } });
  assert.equal((one.structuredContent as any)?.result[0].name, 'Rex', JSON.stringify(one));
  const created = await client.callTool({ name: 'create-pets', arguments: {} });
  assert.equal(created.isError, undefined);
  const missing = await client.callTool({ name: 'show-pet-by-id', arguments: { path_petId: '404' } });
  assert.equal(missing.isError, true);
  await client.close();
});

test('conversion-only output carries the tag a listener picks', async () => {
  const r = await runTollgate([
    'file',
    'openapi2mcp',
    '-s',
    join(dir, 'petstore.yaml'),
    '--mode',
    'conversion-only',
    '--tag',
    'shop',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const plugin = YAML.parse(r.stdout).services[0].routes[0].plugins[0];
  assert.equal(plugin.config.mode, 'conversion-only');
  assert.deepEqual(plugin.tags, ['shop']);
});

test('documents it cannot convert are refused with a clear error', async () => {
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const base = readFileSync(join(dir, 'petstore.yaml'), 'utf8');
  const secretOutside = join(mkdtempSync(join(tmpdir(), 'outside-')), 'secret.yaml');
  writeFileSync(secretOutside, 'NewPet:\n  type: object\n  description: SECRET-OUTSIDE-THE-FOLDER\n');
  const cases: [string, RegExp][] = [
    [
      write('swagger.yaml', 'swagger: "2.0"\ninfo: {title: x, version: "1"}\npaths: {}\n'),
      /Swagger 2.0 is not supported/,
    ],
    [
      write(
        'circular.yaml',
        base.replace(
          '        tag:\n          type: string\n    Pets:',
          "        tag:\n          type: string\n        parent:\n          $ref: '#/components/schemas/Pet'\n    Pets:",
        ),
      ),
      /circular \$ref/,
    ],
    [write('dup.yaml', 'openapi: 3.0.3\nopenapi: 3.0.3\n'), /not valid YAML\/JSON/],
    [
      write(
        'remote.yaml',
        base.replace("$ref: './schemas.yaml#/NewPet'", "$ref: 'http://127.0.0.1:9/x.yaml'"),
      ),
      /cannot resolve \$ref/,
    ],
    [write('noserver.yaml', base.replace(/servers:[\s\S]*?paths:/, 'paths:')), /no servers\[0\]\.url/],
    [
      write('outside.yaml', base.replace("$ref: './schemas.yaml#/NewPet'", "$ref: '/etc/passwd'")),
      /only local files beside the document are read/,
    ],
    [
      // A symlink beside the document that points out of its folder is outside too.
      (symlinkSync(secretOutside, join(dir, 'linked.yaml')),
      write(
        'symlinked.yaml',
        base.replace("$ref: './schemas.yaml#/NewPet'", "$ref: './linked.yaml#/NewPet'"),
      )),
      /only local files beside the document are read/,
    ],
    [
      write('dupname.yaml', base.replace('operationId: getPetById', 'operationId: listPets')),
      /tool name 'list-pets' comes from two operations/,
    ],
  ];
  for (const [file, message] of cases) {
    const r = await runTollgate(['file', 'openapi2mcp', file]);
    assert.equal(r.code, 1, `${file}: ${r.stdout}`);
    assert.match(r.stderr, message, file);
    assert.equal(r.stdout, '');
  }
});
