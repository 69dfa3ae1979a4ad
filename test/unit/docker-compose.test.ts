import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { parseListen } from '../../shared/listen';

// No Docker engine runs here: the compose file is checked against what the program reads.
const ROOT = join(__dirname, '..', '..', '..');
const compose = YAML.parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** Every environment variable the product's source reads. */
function variablesReadByCode(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js)$/.test(name)) {
        for (const m of readFileSync(p, 'utf8').matchAll(/\b(TOLLGATE_[A-Z0-9_]+|DATABASE_URL)\b/g))
          found.add(m[1]);
      }
    }
  };
  for (const dir of ['control-plane', 'data-plane', 'shared', 'cli', 'bin']) walk(join(ROOT, dir));
  return found;
}

const services = compose.services as Record<string, any>;
const INFRASTRUCTURE = ['postgres', 'redis'];
const tollgate = Object.entries(services).filter(([name]) => !INFRASTRUCTURE.includes(name));
const dataPlanes = tollgate.filter(([, s]) => s.command?.[0] === 'data-plane');

test('postgres, redis, one control plane and three data planes', () => {
  assert.ok(services.postgres);
  // rate-limiting's shared counters: reachable by the data planes, never published on the host.
  assert.ok(services.redis);
  assert.equal(services.redis.ports, undefined);
  assert.equal(tollgate.filter(([, s]) => s.command?.[0] === 'control-plane').length, 1);
  assert.equal(dataPlanes.length, 3);
});

test('every variable the compose file sets is one the program reads', () => {
  const known = variablesReadByCode();
  for (const [name, svc] of tollgate) {
    for (const key of Object.keys(svc.environment ?? {}))
      assert.ok(known.has(key), `${name}: ${key} is not read by the code`);
  }
});

test('published ports match the listeners, never clash, and stay on loopback', () => {
  const hostPorts = new Set<string>();
  for (const [name, svc] of tollgate) {
    const env = svc.environment ?? {};
    const listeners = Object.entries(env)
      .filter(([k]) => k.endsWith('_LISTEN'))
      .map(([k, v]) => [k, parseListen(String(v), k).port] as const);
    for (const mapping of svc.ports ?? []) {
      const [ip, host, container] = String(mapping).split(':');
      assert.equal(ip, '127.0.0.1', `${name}: ${mapping} should bind loopback on the host`);
      assert.ok(!hostPorts.has(host), `${name}: host port ${host} used twice`);
      hostPorts.add(host);
      assert.ok(
        listeners.some(([, port]) => String(port) === container),
        `${name}: container port ${container} has no listener`,
      );
    }
  }
  const cp = services['control-plane'];
  assert.equal(parseListen(cp.environment.TOLLGATE_ADMIN_LISTEN, 'admin').port, 8001);
  for (const [, dp] of dataPlanes) {
    const cpUrl = new URL(dp.environment.TOLLGATE_CP_URL);
    assert.equal(Number(cpUrl.port), parseListen(cp.environment.TOLLGATE_CLUSTER_LISTEN, 'cluster').port);
    assert.equal(cpUrl.hostname, 'control-plane');
  }
});

test('healthchecks, start order, restarts, data volumes and the shared cluster token', () => {
  for (const [name, svc] of Object.entries(services)) {
    assert.ok(svc.healthcheck?.test, `${name} has a healthcheck`);
    assert.ok(svc.restart, `${name} has a restart policy`);
  }
  assert.equal(services['control-plane'].depends_on.postgres.condition, 'service_healthy');
  assert.match(services['control-plane'].environment.DATABASE_URL, /@postgres:5432\//);
  const volumes = new Set<string>();
  for (const [name, dp] of dataPlanes) {
    assert.equal(dp.depends_on['control-plane'].condition, 'service_healthy');
    const vol = String(dp.volumes[0]).split(':')[0];
    assert.ok(!volumes.has(vol), `${name} shares a data volume`);
    volumes.add(vol);
    assert.equal(String(dp.volumes[0]).split(':')[1], dp.environment.TOLLGATE_DATA_DIR);
    assert.equal(
      dp.environment.TOLLGATE_CLUSTER_TOKEN,
      services['control-plane'].environment.TOLLGATE_CLUSTER_TOKEN,
    );
  }
  // Non-loopback listeners need tokens (the program refuses otherwise): both are required.
  assert.match(services['control-plane'].environment.TOLLGATE_ADMIN_TOKEN, /:\?/);
  assert.match(services['control-plane'].environment.TOLLGATE_CLUSTER_TOKEN, /:\?/);
});

test('the image: multi-stage, production dependencies only, non-root, with a healthcheck', () => {
  assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2);
  assert.match(dockerfile, /npm prune --omit=dev/);
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /^HEALTHCHECK /m);
  assert.match(dockerfile, /ENTRYPOINT \["node", "bin\/tollgate.js"\]/);
});

test('the image builds every source folder the compiler and the console build read', () => {
  const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
  for (const dir of [...tsconfig.include, 'console', 'bin', 'scripts'])
    assert.match(dockerfile, new RegExp(`^COPY ${dir} \\./${dir}$`, 'm'), `Dockerfile copies ${dir}/`);
});

test('the control plane runs the console; data planes run the image without it', () => {
  const cp = services['control-plane'];
  assert.equal(cp.build.target, 'full');
  assert.equal(parseListen(cp.environment.TOLLGATE_CONSOLE_LISTEN, 'console').port, 8002);
  assert.ok(cp.ports.includes('127.0.0.1:8002:8002'));
  assert.match(dockerfile, /^FROM runtime AS full$/m);
  assert.match(dockerfile, /^COPY --from=build .*\/app\/console\/dist \.\/console\/dist$/m);
  const dpStage = dockerfile.slice(dockerfile.indexOf('AS data-plane'), dockerfile.indexOf('AS full'));
  assert.ok(!dpStage.includes('console'), 'the data-plane stage carries no console');
  for (const [name, dp] of dataPlanes) assert.equal(dp.build.target, 'data-plane', name);
});
