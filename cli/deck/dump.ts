/**
 * The current config as a decK file that syncs back with no changes: nested where decK nests,
 * ids and timestamps left out, parents referenced by name.
 */
import { PLUGIN_ENTITIES } from '../../shared/entities';
import type { SnapshotConfig } from '../../shared/snapshot';

type E = Record<string, any>;

/** Plugin-owned entities decK nests under consumers (`keyauth_credentials`). */
const CONSUMER_CHILDREN = PLUGIN_ENTITIES.filter((e) => e.nestedUnder === 'consumer');

/** Without timestamps, parent fields and (for entities matched by name) the id. */
function clean(e: E, drop: string[] = []): E {
  const out: E = {};
  const named = e.name != null || e.username != null || e.custom_id != null || e.key != null;
  for (const [k, v] of Object.entries(e)) {
    if (['created_at', 'updated_at', ...drop].includes(k) || (k === 'id' && named)) continue;
    out[k] = v;
  }
  return out;
}

export function dumpState(config: SnapshotConfig, selectTags: string[]): E {
  const inScope = (e: E) => selectTags.every((t) => Array.isArray(e.tags) && e.tags.includes(t));
  const byId = new Map<string, E>();
  for (const list of [config.services, config.routes, config.consumers, config.consumer_groups])
    for (const e of list) byId.set(e.id, e);
  const ref = (r: { id: string } | null | undefined, key = 'name') => {
    if (!r) return undefined;
    const e = byId.get(r.id);
    return e?.[key] ?? e?.custom_id ?? r.id;
  };
  const plugins = config.plugins.filter(inScope);
  const scopeOf = (p: E) =>
    ['service', 'route', 'consumer', 'consumer_group'].filter((f) => (p as Record<string, unknown>)[f]);
  const taken = new Set<string>();
  const pluginsUnder = (field: string, id: string) =>
    plugins
      .filter((p) => (p as Record<string, any>)[field]?.id === id && scopeOf(p).length === 1)
      .map((p) => {
        taken.add(p.id);
        return clean(p, ['service', 'route', 'consumer', 'consumer_group']);
      });

  /** The entity, cleaned, with the plugins scoped to it alone nested under it. */
  const withPlugins = (doc: E, field: string, id: string): E => {
    const ps = pluginsUnder(field, id);
    if (ps.length) doc.plugins = ps;
    return doc;
  };

  const out: E = { _format_version: '3.0' };
  if (selectTags.length) out._info = { select_tags: selectTags };
  const routes = config.routes.filter(inScope);
  const services = config.services.filter(inScope).map((s) => {
    const svc = clean(s);
    const rs = routes
      .filter((r) => r.service?.id === s.id)
      .map((r) => withPlugins(clean(r, ['service']), 'route', r.id));
    if (rs.length) svc.routes = rs;
    return withPlugins(svc, 'service', s.id);
  });
  if (services.length) out.services = services;
  const looseRoutes = routes
    .filter((r) => !r.service || !inScope(byId.get(r.service.id) ?? {}))
    .map((r) => {
      const route = clean(r, ['service']);
      if (r.service) route.service = { name: ref(r.service) };
      return withPlugins(route, 'route', r.id);
    });
  if (looseRoutes.length) out.routes = looseRoutes;
  const groups = config.consumer_groups
    .filter(inScope)
    .map((g) => withPlugins(clean(g), 'consumer_group', g.id));
  if (groups.length) out.consumer_groups = groups;
  const consumers = config.consumers.filter(inScope).map((c) => {
    const consumer = clean(c);
    for (const def of CONSUMER_CHILDREN) {
      const children = ((config[def.name] ?? []) as E[])
        .filter((k) => k.consumer?.id === c.id && inScope(k))
        .map((k) => clean(k, ['consumer']));
      if (children.length) consumer[def.name] = children;
    }
    const gs = config.consumer_group_consumers
      .filter((m) => m.consumer.id === c.id)
      .map((m) => ({ name: ref(m.consumer_group) }));
    if (gs.length) consumer.groups = gs;
    return withPlugins(consumer, 'consumer', c.id);
  });
  if (consumers.length) out.consumers = consumers;
  const rest = plugins
    .filter((p) => !taken.has(p.id))
    .map((p) => {
      const plugin = clean(p, ['service', 'route', 'consumer', 'consumer_group']);
      if (p.service) plugin.service = ref(p.service);
      if (p.route) plugin.route = ref(p.route);
      if (p.consumer) plugin.consumer = ref(p.consumer, 'username');
      if (p.consumer_group) plugin.consumer_group = ref(p.consumer_group);
      return plugin;
    });
  if (rest.length) out.plugins = rest;
  dumpUpstreams(config, inScope, out);
  dumpCertificates(config, inScope, out);
  return out;
}

/** Upstreams with their targets nested (decK's layout); targets are matched by address. */
function dumpUpstreams(config: SnapshotConfig, inScope: (e: E) => boolean, out: E) {
  const upstreams = (config.upstreams ?? []).filter(inScope).map((u) => {
    const upstream = clean(u);
    const targets = (config.targets ?? [])
      .filter((t) => t.upstream.id === u.id && inScope(t))
      .map((t) => clean(t, ['upstream', 'id']));
    if (targets.length) upstream.targets = targets;
    return upstream;
  });
  if (upstreams.length) out.upstreams = upstreams;
}

/** Certificates (by id, as decK dumps them) with their SNIs nested by name, and CA certificates. */
function dumpCertificates(config: SnapshotConfig, inScope: (e: E) => boolean, out: E) {
  const certificates = (config.certificates ?? []).filter(inScope).map((c) => {
    const cert = clean(c);
    const snis = (config.snis ?? [])
      .filter((s) => s.certificate.id === c.id && inScope(s))
      .map((s) => clean(s, ['certificate']));
    if (snis.length) cert.snis = snis;
    return cert;
  });
  if (certificates.length) out.certificates = certificates;
  const cas = (config.ca_certificates ?? []).filter(inScope).map((c) => clean(c, ['cert_digest']));
  if (cas.length) out.ca_certificates = cas;
  const vaults = (config.vaults ?? []).filter(inScope).map((v) => clean(v, v.prefix ? ['id'] : []));
  if (vaults.length) out.vaults = vaults;
  const sets = (config.key_sets ?? []).filter(inScope);
  if (sets.length) out.key_sets = sets.map((k) => clean(k));
  const setName = new Map(sets.map((k) => [k.id, k.name ?? k.id]));
  const keys = (config.keys ?? []).filter(inScope).map((k) => {
    const key = clean(k, ['set']);
    if (k.set) key.set = setName.get(k.set.id) ?? k.set.id;
    return key;
  });
  if (keys.length) out.keys = keys;
}
