/**
 * Applies a decK file through the Admin API the way `deck gateway apply` does (create or
 * update, never delete). Test-only stand-in until the `tollgate apply` CLI exists; it handles
 * the entity shapes the seed files use.
 */
import YAML from 'yaml';
import type { adminClient } from './http';

type Api = ReturnType<typeof adminClient>;

export function renderDeckEnv(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\{\{\s*env\s+"([A-Za-z0-9_]+)"\s*\}\}/g, (_, name) => {
    if (!name.startsWith('DECK_'))
      throw new Error(
        `environment variables in the state file must be prefixed with 'DECK_', found: '${name}'`,
      );
    const v = env[name];
    if (v === undefined) throw new Error(`environment variable '${name}' present in state file but not set`);
    return v;
  });
}

async function put(api: Api, path: string, body: unknown) {
  const r = await api('PUT', path, body);
  if (r.status >= 300) throw new Error(`PUT ${path}: ${r.status} ${r.text}`);
  return r.body;
}

async function upsertPlugin(api: Api, p: any, scope: Record<string, unknown>) {
  const body = { ...p, ...scope };
  const list = (await api('GET', '/plugins?size=1000')).body.data as any[];
  const same = list.find(
    (x) =>
      x.name === p.name &&
      ['service', 'route', 'consumer', 'consumer_group'].every(
        (k) => (x[k]?.id ?? null) === ((body as any)[k]?.id ?? null),
      ),
  );
  const r = same ? await api('PUT', `/plugins/${same.id}`, body) : await api('POST', '/plugins', body);
  if (r.status >= 300) throw new Error(`plugin ${p.name}: ${r.status} ${r.text}`);
}

export async function deckApply(
  api: Api,
  text: string,
  env: Record<string, string | undefined> = process.env,
) {
  const doc = YAML.parse(renderDeckEnv(text, env));
  const idOf = async (collection: string, key: string) =>
    (await api('GET', `/${collection}/${encodeURIComponent(key)}`)).body?.id;
  for (const g of doc.consumer_groups ?? []) {
    const { consumers: _c, plugins: _p, ...group } = g;
    await put(api, `/consumer_groups/${g.name}`, group);
  }
  for (const c of doc.consumers ?? []) {
    const { keyauth_credentials, groups, plugins, ...consumer } = c;
    const saved = await put(api, `/consumers/${c.username}`, consumer);
    for (const k of keyauth_credentials ?? []) await put(api, `/consumers/${saved.id}/key-auth/${k.key}`, k);
    for (const g of groups ?? [])
      await api('POST', `/consumers/${saved.id}/consumer_groups`, { group: g.name });
    for (const p of plugins ?? []) await upsertPlugin(api, p, { consumer: { id: saved.id } });
  }
  for (const s of doc.services ?? []) {
    const { routes, plugins, ...service } = s;
    const saved = await put(api, `/services/${s.name}`, service);
    for (const r of routes ?? []) {
      const { plugins: rp, ...route } = r;
      const savedRoute = await put(api, `/routes/${r.name}`, { ...route, service: { id: saved.id } });
      for (const p of rp ?? []) await upsertPlugin(api, p, { route: { id: savedRoute.id } });
    }
    for (const p of plugins ?? []) await upsertPlugin(api, p, { service: { id: saved.id } });
  }
  for (const r of doc.routes ?? []) {
    const { plugins, service, ...route } = r;
    const serviceId = service ? (service.id ?? (await idOf('services', service.name ?? service))) : undefined;
    const saved = await put(api, `/routes/${r.name}`, {
      ...route,
      ...(serviceId ? { service: { id: serviceId } } : {}),
    });
    for (const p of plugins ?? []) await upsertPlugin(api, p, { route: { id: saved.id } });
  }
  for (const p of doc.plugins ?? []) {
    const { service, route, consumer, consumer_group, ...plugin } = p;
    const scope: Record<string, unknown> = {};
    if (service) scope.service = { id: await idOf('services', service) };
    if (route) scope.route = { id: await idOf('routes', route) };
    if (consumer) scope.consumer = { id: await idOf('consumers', consumer) };
    if (consumer_group) scope.consumer_group = { id: await idOf('consumer_groups', consumer_group) };
    await upsertPlugin(api, plugin, scope);
  }
}
