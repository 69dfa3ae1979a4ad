/**
 * How a virtual server names what its sources list.
 *
 * The rule: a source's tool keeps its name unless another source (or a
 * converted tool) serves a name that a lenient matcher would take for it (case, `-`/`_`/`.`,
 * invisible characters: `skeleton`), then it becomes `<source>/<tool>`, the source being its
 * service's name (Kong's `service/tool`). `server.tool_name_prefix: always` prefixes every
 * source tool, `never` none; a source with `server.preserve_upstream_tool_names` is never
 * prefixed. A name that still collides after that is served by nobody (fail closed) and the
 * list says so in `_meta`.
 */
import { skeleton } from '../../shared/mcp/name-skeleton';

export type PrefixRule = 'on_collision' | 'always' | 'never';

export type Item = Record<string, unknown>;

/** What a listener gathers from its sources, and how each kind's items are named. */
export const KINDS = {
  tools: { list: 'tools/list', field: 'tools', key: 'name', prefixed: true },
  prompts: { list: 'prompts/list', field: 'prompts', key: 'name', prefixed: true },
  // URIs are served as they are: two sources listing one URI serve it to nobody.
  resources: { list: 'resources/list', field: 'resources', key: 'uri', prefixed: false },
  templates: {
    list: 'resources/templates/list',
    field: 'resourceTemplates',
    key: 'uriTemplate',
    prefixed: false,
  },
} as const;
export type Kind = keyof typeof KINDS;

export interface VirtualListing {
  items: Item[];
  /** What was left out and why (sources that failed, names that collided). */
  omitted: { source?: string; reason: string; [kind: string]: string | undefined }[];
  /** Public name (or URI) → where it is served, under which name there. */
  routes: Map<string, { source: number; name: string }>;
}

/** What naming needs of a source. */
export interface NamingSource {
  /** The prefix its names take (its service's name). */
  name: string;
  preserveNames: boolean;
}

/** Public names for the gathered lists, by the rule above. */
export function nameItems(
  kind: Kind,
  sources: readonly NamingSource[],
  prefix: PrefixRule,
  lists: { source: number; items: Item[] }[],
  reserved: readonly string[],
  absent: { source: number; items: Item[] }[] = [],
) {
  const { key, prefixed: prefixable } = KINDS[kind];
  // Names are compared as a lenient server would read them; URIs exactly.
  const same = (n: string) => (prefixable ? skeleton(n, true) : n);
  const owners = new Map<string, Set<number>>();
  for (const name of reserved) owners.set(same(name), new Set([-1]));
  for (const { source, items } of [...lists, ...absent])
    for (const t of items) {
      const k = same(t[key] as string);
      owners.set(k, (owners.get(k) ?? new Set()).add(source));
    }
  const candidates: { public: string; source: number; item: Item; absent?: boolean }[] = [];
  const gathered = [...lists, ...absent.map((a) => ({ ...a, absent: true }))];
  for (const { source, items, absent: gone } of gathered as {
    source: number;
    items: Item[];
    absent?: boolean;
  }[]) {
    const s = sources[source];
    for (const t of items) {
      const name = t[key] as string;
      const clash = (owners.get(same(name))?.size ?? 0) > 1;
      const prefixed =
        prefixable && !s.preserveNames && (prefix === 'always' || (prefix === 'on_collision' && clash));
      candidates.push({
        public: prefixed ? `${s.name}/${name}` : name,
        source,
        item: t,
        absent: gone,
      });
    }
  }
  // Names still alike after prefixing (a source listing `other/tool`, `never`, a tool listed
  // twice, a URI two sources list) are served by nobody: which one a client meant cannot be told.
  const count = new Map<string, number>();
  for (const n of [...reserved, ...candidates.map((c) => c.public)])
    count.set(same(n), (count.get(same(n)) ?? 0) + 1);
  const items: Item[] = [];
  const routes: VirtualListing['routes'] = new Map();
  const omitted: VirtualListing['omitted'] = [];
  // An unprefixed name that reads as another source's prefixed one (`github/...` from a source
  // that is not github) would pass for that source's tool: served by nobody.
  const sourceNames = new Set(sources.map((x) => same(x.name)));
  const impersonates = (c: (typeof candidates)[number]) => {
    // Read as a lenient server reads it (`\\` is `/` there too).
    const read = same(c.public);
    const slash = read.indexOf('/');
    return prefixable && slash > 0 && c.public === c.item[key] && sourceNames.has(read.slice(0, slash));
  };
  for (const c of candidates) {
    // A failing source's names only reserve: never served, never reported twice.
    if (c.absent) continue;
    const name = c.item[key] as string;
    if (impersonates(c)) {
      omitted.push({
        source: sources[c.source].name,
        [kind]: name,
        reason: "reads as another source's name",
      });
      continue;
    }
    if (count.get(same(c.public))! > 1) {
      omitted.push({
        source: sources[c.source].name,
        [kind]: name,
        reason: 'name collision',
      });
      continue;
    }
    items.push({ ...c.item, [key]: c.public });
    routes.set(c.public, { source: c.source, name });
  }
  return { items, routes, omitted };
}
