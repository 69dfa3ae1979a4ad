/**
 * Kong's traditional router, compiled once per snapshot.
 *
 * Lookup cost does not grow with the number of routes: prefix paths sit in a map keyed by the
 * prefix (probed only at lengths some route uses), exact hosts in a map, so a request only ever
 * compares against routes that could match it. Regex paths and routes with neither paths nor
 * exact hosts are the only ones scanned.
 */
import { normalizePath } from './path';

export interface RouteLike {
  id: string;
  name?: string | null;
  protocols: string[];
  methods?: string[] | null;
  hosts?: string[] | null;
  paths?: string[] | null;
  headers?: Record<string, string[]> | null;
  regex_priority: number;
  created_at: number;
}

export interface RequestFacts {
  method: string;
  /** Host header, lowercased, without port. */
  host: string;
  port: number;
  /** Raw request path (no query string). */
  path: string;
  protocol: 'http' | 'https';
  headers: Record<string, string | string[] | undefined>;
}

export interface RouteMatch<R extends RouteLike> {
  route: R;
  /** The route path that matched (prefix or `~regex`), or null for a pathless route. */
  matchedPath: string | null;
  /** Length of the request path the route path consumed (for strip_path). */
  matchedLength: number;
  captures: { unnamed: string[]; named: Record<string, string> };
  normalizedPath: string;
}

interface HostMatcher {
  exact: Set<string>;
  /** `*.example.com` → suffix `.example.com`; `example.*` → prefix `example.` */
  wildcards: { suffix?: string; prefix?: string; port?: number }[];
  ports: Map<string, number>;
}

interface Candidate<R extends RouteLike> {
  route: R;
  methods: Set<string> | null;
  hosts: HostMatcher | null;
  headers: { name: string; values: string[]; regex: RegExp[] }[];
  /** Number of matching categories (hosts, headers, methods, paths): more specific first. */
  weight: number;
}

interface PathEntry<R extends RouteLike> {
  cand: Candidate<R>;
  path: string;
  regex?: RegExp;
}

function compileHosts(hosts: string[]): HostMatcher {
  const m: HostMatcher = { exact: new Set(), wildcards: [], ports: new Map() };
  for (const h of hosts) {
    const [name, portStr] = h.toLowerCase().split(':');
    const port = portStr ? Number(portStr) : undefined;
    if (name.startsWith('*.')) m.wildcards.push({ suffix: name.slice(1), port });
    else if (name.endsWith('.*')) m.wildcards.push({ prefix: name.slice(0, -1), port });
    else {
      m.exact.add(name);
      if (port !== undefined) m.ports.set(name, port);
    }
  }
  return m;
}

function hostScore(m: HostMatcher, host: string, port: number): 0 | 1 | 2 {
  if (m.exact.has(host)) {
    const want = m.ports.get(host);
    if (want === undefined || want === port) return 2;
  }
  for (const w of m.wildcards) {
    if (w.port !== undefined && w.port !== port) continue;
    if (w.suffix && host.endsWith(w.suffix) && host.length > w.suffix.length) return 1;
    if (w.prefix && host.startsWith(w.prefix) && host.length > w.prefix.length) return 1;
  }
  return 0;
}

function headerValues(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : v.split(',')).map((x) => x.trim().toLowerCase());
}

export class Router<R extends RouteLike> {
  private readonly prefix = new Map<string, PathEntry<R>[]>();
  private readonly prefixLengths: number[];
  /** Regex paths with a literal prefix, by that prefix (probed like prefix paths). */
  private readonly regexByPrefix = new Map<string, PathEntry<R>[]>();
  private readonly regexPrefixLengths: number[];
  /** Regex paths without a literal prefix: the only paths scanned on every request. */
  private readonly regexes: PathEntry<R>[] = [];
  /** Pathless routes with exact hosts, by host. */
  private readonly byHost = new Map<string, Candidate<R>[]>();
  /** Pathless routes without exact hosts (wildcard hosts, methods or headers only). */
  private readonly rest: Candidate<R>[] = [];

  constructor(routes: R[]) {
    const lengths = new Set<number>();
    const regexLengths = new Set<number>();
    for (const route of routes) {
      if (!route.protocols.some((p) => p === 'http' || p === 'https')) continue;
      const headers = Object.entries(route.headers ?? {})
        .filter(([name]) => name.toLowerCase() !== 'host')
        .map(([name, values]) => ({
          name: name.toLowerCase(),
          values: values.filter((v) => !v.startsWith('~*')).map((v) => v.toLowerCase()),
          regex: values.filter((v) => v.startsWith('~*')).map((v) => new RegExp(v.slice(2), 'i')),
        }));
      const hostList = [...(route.hosts ?? []), ...((route.headers ?? {})['host'] ?? [])];
      const cand: Candidate<R> = {
        route,
        methods: route.methods?.length ? new Set(route.methods) : null,
        hosts: hostList.length ? compileHosts(hostList) : null,
        headers,
        weight:
          (hostList.length ? 1 : 0) +
          (headers.length ? 1 : 0) +
          (route.methods?.length ? 1 : 0) +
          (route.paths?.length ? 1 : 0),
      };
      if (route.paths?.length) {
        for (const p of route.paths) {
          if (p.startsWith('~')) {
            const entry = { cand, path: p, regex: new RegExp(`^(?:${p.slice(1)})`) };
            const lit = literalPrefix(p.slice(1));
            if (lit.length > 1) {
              regexLengths.add(lit.length);
              const list = this.regexByPrefix.get(lit) ?? [];
              list.push(entry);
              this.regexByPrefix.set(lit, list);
            } else this.regexes.push(entry);
          } else {
            const key = normalizePath(p);
            lengths.add(key.length);
            const list = this.prefix.get(key) ?? [];
            list.push({ cand, path: key });
            this.prefix.set(key, list);
          }
        }
      } else if (cand.hosts && cand.hosts.exact.size) {
        for (const h of cand.hosts.exact) {
          const list = this.byHost.get(h) ?? [];
          list.push(cand);
          this.byHost.set(h, list);
        }
        if (cand.hosts.wildcards.length) this.rest.push(cand);
      } else this.rest.push(cand);
    }
    this.prefixLengths = [...lengths].sort((a, b) => b - a);
    this.regexPrefixLengths = [...regexLengths].sort((a, b) => b - a);
    this.regexes.sort(
      (a, b) =>
        b.cand.route.regex_priority - a.cand.route.regex_priority ||
        a.cand.route.created_at - b.cand.route.created_at,
    );
  }

  /** Everything but the path: protocol, method, host, headers. Returns host specificity or -1. */
  private admits(c: Candidate<R>, req: RequestFacts): number {
    if (!c.route.protocols.includes(req.protocol)) return -1;
    if (c.methods && !c.methods.has(req.method)) return -1;
    let hs = 0;
    if (c.hosts) {
      hs = hostScore(c.hosts, req.host, req.port);
      if (hs === 0) return -1;
    }
    for (const h of c.headers) {
      const got = headerValues(req.headers[h.name]);
      if (!got.some((v) => h.values.includes(v) || h.regex.some((re) => re.test(v)))) return -1;
    }
    return hs;
  }

  match(req: RequestFacts): RouteMatch<R> | null {
    const path = normalizePath(req.path);
    let best: { m: RouteMatch<R>; key: number[] } | null = null;
    const consider = (
      cand: Candidate<R>,
      m: Omit<RouteMatch<R>, 'route' | 'normalizedPath'>,
      kind: number,
      spec: number,
    ) => {
      const hs = this.admits(cand, req);
      if (hs < 0) return;
      // Kong's priority: more categories, exact host over wildcard, more headers,
      // regex paths before prefix paths (by regex_priority), longer prefixes, older routes.
      const key = [cand.weight, hs, cand.headers.length, kind, spec, -cand.route.created_at];
      if (!best || compareKeys(key, best.key) > 0)
        best = { m: { ...m, route: cand.route, normalizedPath: path }, key };
    };
    for (const len of this.prefixLengths) {
      if (len > path.length) continue;
      const entries = this.prefix.get(path.slice(0, len));
      if (!entries) continue;
      for (const e of entries) {
        consider(
          e.cand,
          { matchedPath: e.path, matchedLength: len, captures: { unnamed: [], named: {} } },
          0,
          len,
        );
      }
    }
    const regexCandidates: PathEntry<R>[] = [];
    for (const len of this.regexPrefixLengths) {
      if (len > path.length) continue;
      const entries = this.regexByPrefix.get(path.slice(0, len));
      if (entries) regexCandidates.push(...entries);
    }
    for (const e of regexCandidates.length ? [...regexCandidates, ...this.regexes] : this.regexes) {
      const m = e.regex!.exec(path);
      if (!m) continue;
      consider(
        e.cand,
        {
          matchedPath: e.path,
          matchedLength: m[0].length,
          captures: { unnamed: m.slice(1).map((x) => x ?? ''), named: { ...(m.groups ?? {}) } },
        },
        1,
        e.cand.route.regex_priority,
      );
    }
    const none = { matchedPath: null, matchedLength: 0, captures: { unnamed: [], named: {} } };
    for (const c of this.byHost.get(req.host) ?? []) consider(c, none, 0, 0);
    for (const c of this.rest) consider(c, none, 0, 0);
    return (best as { m: RouteMatch<R> } | null)?.m ?? null;
  }
}

/**
 * The literal text every match of `source` starts with (up to the first regex metacharacter;
 * a quantified last character is not part of it). Used to index regex paths.
 */
export function literalPrefix(source: string): string {
  // An alternation anywhere may let a match start differently: no usable prefix.
  if (source.includes('|')) return '';
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if ('\\.*+?()[]{}|^$'.includes(c)) {
      if ('*?{'.includes(c)) out = out.slice(0, -1);
      return out;
    }
    out += c;
  }
  return out;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
