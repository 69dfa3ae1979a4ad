/**
 * A decK file flattened into entities with parent references (by id or name), select tags
 * stamped and `_info.defaults` applied. Nothing here talks to the Admin API.
 */
import { PLUGIN_ENTITIES, type EntityDefinition } from '../../shared/entities';
import { DeckFileError } from './env-template';
import type { LoadedState } from './file';

/** Core kinds, plus the singular of each plugin-owned entity (`keyauth_credential`). */
export type Kind =
  | 'service'
  | 'route'
  | 'consumer'
  | 'consumer_group'
  | 'plugin'
  | 'membership'
  | 'upstream'
  | 'target'
  | 'certificate'
  | 'sni'
  | 'ca_certificate'
  | 'vault'
  | 'key_set'
  | 'key'
  | (string & {});

/** decK's consumer children that no Tollgate plugin owns. */
const UNSUPPORTED_CONSUMER_CHILDREN = [
  'basicauth_credentials',
  'hmacauth_credentials',
  'jwt_secrets',
  'oauth2_credentials',
  'acls',
  'mtls_auth_credentials',
].filter((k) => !PLUGIN_ENTITIES.some((e) => e.name === k));
const CONSUMER_CHILDREN = PLUGIN_ENTITIES.filter((e) => e.nestedUnder === 'consumer');
export type ParentKind =
  'service' | 'route' | 'consumer' | 'consumer_group' | 'upstream' | 'certificate' | 'set';
export interface Ref {
  id?: string;
  name?: string;
}

export interface Item {
  kind: Kind;
  body: Record<string, any>;
  refs: Partial<Record<ParentKind, Ref>>;
  /** `file: services[0].routes[1]` */
  where: string;
}

export interface TargetState {
  items: Item[];
  selectTags: string[];
}

const PARENT_FIELDS: ParentKind[] = [
  'service',
  'route',
  'consumer',
  'consumer_group',
  'upstream',
  'certificate',
  // A key's key set (its field is `set`).
  'set',
];

function asRef(value: unknown, where: string, field: string): Ref {
  if (typeof value === 'string')
    return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
      ? { id: value }
      : { name: value };
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.id === 'string') return { id: v.id };
    const name = v.name ?? v.username;
    if (typeof name === 'string') return { name };
  }
  throw new DeckFileError(`${where}: ${field}: expected a name, an id, or {name: …} / {id: …}`);
}

function stamp(body: Record<string, any>, selectTags: string[]) {
  if (!selectTags.length) return;
  const tags: string[] = Array.isArray(body.tags) ? [...body.tags] : [];
  for (const t of selectTags) if (!tags.includes(t)) tags.push(t);
  body.tags = tags;
}

function obj(value: unknown, where: string): Record<string, any> {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new DeckFileError(`${where}: expected a mapping`);
  return { ...(value as Record<string, any>) };
}

/** The items collected so far, and what every one of them gets: the scope's tags, `_info.defaults`. */
interface Collector {
  items: Item[];
  selectTags: string[];
  defaults: Record<string, any>;
}

/**
 * `selectTags`: the scope (the file's `_info.select_tags`, or `--select-tag`, which decK treats
 * alike): stamped on every entity the file defines, so what sync creates is in its own scope.
 */
export function buildTarget(
  state: LoadedState,
  selectTags: string[] = state.content._info?.select_tags ?? [],
): TargetState {
  const c = state.content;
  const collector: Collector = { items: [], selectTags, defaults: c._info?.defaults ?? {} };
  (c.services ?? []).forEach((s: any, i: number) =>
    addService(collector, s, `${state.origin.services[i]}: services[${i}]`),
  );
  (c.routes ?? []).forEach((r: any, i: number) =>
    addRoute(collector, r, `${state.origin.routes[i]}: routes[${i}]`, null),
  );
  (c.consumer_groups ?? []).forEach((g: any, i: number) =>
    addConsumerGroup(collector, g, `${state.origin.consumer_groups[i]}: consumer_groups[${i}]`),
  );
  (c.consumers ?? []).forEach((cn: any, i: number) =>
    addConsumer(collector, cn, `${state.origin.consumers[i]}: consumers[${i}]`),
  );
  (c.upstreams ?? []).forEach((u: any, i: number) =>
    addUpstream(collector, u, `${state.origin.upstreams[i]}: upstreams[${i}]`),
  );
  (c.certificates ?? []).forEach((cert: any, i: number) =>
    addCertificate(collector, cert, `${state.origin.certificates[i]}: certificates[${i}]`),
  );
  (c.ca_certificates ?? []).forEach((ca: any, i: number) => {
    const where = `${state.origin.ca_certificates[i]}: ca_certificates[${i}]`;
    addItem(collector, 'ca_certificate', obj(ca, where), {}, where, null);
  });
  for (const [collection, kind] of [
    ['key_sets', 'key_set'],
    ['keys', 'key'],
  ] as const)
    (c[collection] ?? []).forEach((e: any, i: number) => {
      const where = `${state.origin[collection][i]}: ${collection}[${i}]`;
      addItem(collector, kind, obj(e, where), {}, where, null);
    });
  (c.vaults ?? []).forEach((v: any, i: number) => {
    const where = `${state.origin.vaults[i]}: vaults[${i}]`;
    addItem(collector, 'vault', obj(v, where), {}, where, null);
  });
  (c.plugins ?? []).forEach((p: any, i: number) =>
    addItem(
      collector,
      'plugin',
      obj(p, `${state.origin.plugins[i]}: plugins[${i}]`),
      {},
      `${state.origin.plugins[i]}: plugins[${i}]`,
      null,
    ),
  );
  return { items: collector.items, selectTags };
}

/** One entity: its parent fields become references (`nested`: the parent it is written under). */
function addItem(
  collector: Collector,
  kind: Kind,
  raw: Record<string, any>,
  refs: Item['refs'],
  where: string,
  nested: ParentKind | null,
) {
  const body = { ...raw };
  for (const f of PARENT_FIELDS) {
    if (!(f in body)) continue;
    if (nested === f) {
      // A child nested under its parent must not name another parent (decK).
      const own = asRef(body[f], where, f);
      const parent = refs[f]!;
      if (
        (own.id && parent.id && own.id !== parent.id) ||
        (own.name && parent.name && own.name !== parent.name)
      ) {
        throw new DeckFileError(`${where}: nested ${kind} must not reference a different ${f}`);
      }
    } else if (kind !== 'membership') refs[f] = asRef(body[f], where, f);
    delete body[f];
  }
  if (kind !== 'membership') stamp(body, collector.selectTags);
  collector.items.push({ kind, body, refs, where });
}

/** The plugins nested under a parent entity (`where`: the parent's). */
function addNestedPlugins(collector: Collector, plugins: any, where: string, parent: ParentKind, ref: Ref) {
  plugins.forEach((p: any, j: number) =>
    addItem(
      collector,
      'plugin',
      obj(p, `${where}.plugins[${j}]`),
      { [parent]: ref },
      `${where}.plugins[${j}]`,
      parent,
    ),
  );
}

function addRoute(collector: Collector, r: any, where: string, parent: Ref | null) {
  const route = { ...(collector.defaults.route ?? {}), ...obj(r, where) };
  if (!route.id && !route.name)
    throw new DeckFileError(`${where}: a route needs a name (or an id) so that it can be matched`);
  const plugins = route.plugins ?? [];
  delete route.plugins;
  addItem(collector, 'route', route, parent ? { service: parent } : {}, where, parent ? 'service' : null);
  const ref: Ref = route.id ? { id: route.id } : { name: route.name };
  addNestedPlugins(collector, plugins, where, 'route', ref);
}

function addService(collector: Collector, s: any, where: string) {
  const service = { ...(collector.defaults.service ?? {}), ...obj(s, where) };
  const routes = service.routes ?? [];
  const plugins = service.plugins ?? [];
  delete service.routes;
  delete service.plugins;
  addItem(collector, 'service', service, {}, where, null);
  const ref: Ref = service.id ? { id: service.id } : { name: service.name };
  if (!service.id && !service.name)
    throw new DeckFileError(`${where}: a service needs a name (or an id) so that it can be matched`);
  routes.forEach((r: any, j: number) => addRoute(collector, r, `${where}.routes[${j}]`, ref));
  addNestedPlugins(collector, plugins, where, 'service', ref);
}

function addUpstream(collector: Collector, u: any, where: string) {
  const upstream = obj(u, where);
  const targets = upstream.targets ?? [];
  delete upstream.targets;
  if (!upstream.id && !upstream.name)
    throw new DeckFileError(`${where}: an upstream needs a name (or an id) so that it can be matched`);
  if (!Array.isArray(targets)) throw new DeckFileError(`${where}.targets: expected a list`);
  addItem(collector, 'upstream', upstream, {}, where, null);
  const ref: Ref = upstream.id ? { id: upstream.id } : { name: upstream.name };
  targets.forEach((t: any, j: number) => {
    const at = `${where}.targets[${j}]`;
    if (!t?.id && typeof t?.target !== 'string')
      throw new DeckFileError(`${at}: a target needs its target (host:port) or an id to be managed`);
    addItem(collector, 'target', obj(t, at), { upstream: ref }, at, 'upstream');
  });
}

/** A certificate and its SNIs, nested as decK writes them (`snis: [{name}]`, or names). */
function addCertificate(collector: Collector, c: any, where: string) {
  const cert = obj(c, where);
  const snis = cert.snis ?? [];
  delete cert.snis;
  if (!Array.isArray(snis)) throw new DeckFileError(`${where}.snis: expected a list`);
  addItem(collector, 'certificate', cert, {}, where, null);
  const ref: Ref = cert.id ? { id: cert.id } : { name: `cert:${String(cert.cert ?? '').trim()}` };
  snis.forEach((s: any, j: number) => {
    const at = `${where}.snis[${j}]`;
    const body = typeof s === 'string' ? { name: s } : obj(s, at);
    addItem(collector, 'sni', body, { certificate: ref }, at, 'certificate');
  });
}

function addConsumerGroup(collector: Collector, g: any, where: string) {
  const group = obj(g, where);
  const members = group.consumers ?? [];
  const plugins = group.plugins ?? [];
  delete group.consumers;
  delete group.plugins;
  addItem(collector, 'consumer_group', group, {}, where, null);
  const ref: Ref = group.id ? { id: group.id } : { name: group.name };
  members.forEach((m: any, j: number) =>
    addItem(
      collector,
      'membership',
      {},
      { consumer_group: ref, consumer: asRef(m, `${where}.consumers[${j}]`, 'consumer') },
      `${where}.consumers[${j}]`,
      null,
    ),
  );
  addNestedPlugins(collector, plugins, where, 'consumer_group', ref);
}

function addConsumer(collector: Collector, cn: any, where: string) {
  const consumer = obj(cn, where);
  const children = CONSUMER_CHILDREN.map((def) => ({ def, list: consumer[def.name] ?? [] }));
  const groups = consumer.groups ?? [];
  const plugins = consumer.plugins ?? [];
  for (const k of [...CONSUMER_CHILDREN.map((d) => d.name), 'groups', 'plugins']) delete consumer[k];
  for (const k of UNSUPPORTED_CONSUMER_CHILDREN) {
    if (consumer[k] !== undefined) throw new DeckFileError(`${where}: ${k} are not supported by Tollgate`);
  }
  addItem(collector, 'consumer', consumer, {}, where, null);
  const ref: Ref = consumer.id ? { id: consumer.id } : { name: consumer.username ?? consumer.custom_id };
  for (const { def, list } of children) addCredentials(collector, def, list, where, ref);
  groups.forEach((g: any, j: number) =>
    addItem(
      collector,
      'membership',
      {},
      { consumer: ref, consumer_group: asRef(g, `${where}.groups[${j}]`, 'group') },
      `${where}.groups[${j}]`,
      null,
    ),
  );
  addNestedPlugins(collector, plugins, where, 'consumer', ref);
}

/** A consumer's entities of one plugin-owned kind (key-auth's keys…); `where`: the consumer's. */
function addCredentials(
  collector: Collector,
  def: EntityDefinition,
  list: any,
  where: string,
  consumer: Ref,
) {
  if (!Array.isArray(list)) throw new DeckFileError(`${where}.${def.name}: expected a list`);
  // The consumer a credential is nested under is part of its key, given by the nesting.
  const keys = (def.cacheKey ?? []).filter((f) => f !== def.nestedUnder);
  list.forEach((k: any, j: number) => {
    const at = `${where}.${def.name}[${j}]`;
    // Matched by id or natural key: without either every sync would create another one.
    if (!k?.id && (!keys.length || keys.some((f) => k?.[f] == null)))
      throw new DeckFileError(
        `${at}: a ${def.deckLabel ?? def.singular} credential needs its ${keys.join(', ') || 'id'} (or an id) to be managed declaratively`,
      );
    addItem(collector, def.singular, obj(k, at), { consumer }, at, 'consumer');
  });
}
