import { Injectable } from '@nestjs/common';

/**
 * Every registered Admin API route pattern, collected as Fastify registers them, so that a
 * path known under another method answers 405 (Kong) instead of 404.
 */
@Injectable()
export class RouteTable {
  private readonly patterns: { method: string; re: RegExp }[] = [];
  private readonly urls = new Set<string>();

  /** Kong's `GET /endpoints`: every path, parameters as `{name}`, sorted by segment. */
  endpoints(): string[] {
    const key = (p: string) => p.replace(/\//g, '\x00');
    return [...this.urls]
      .map((u) => u.replace(/\/$/, '') || '/')
      .map((u) => u.replace(/:([^/]+)/g, '{$1}'))
      .filter((u, i, all) => all.indexOf(u) === i)
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  add(method: string | string[], url: string) {
    this.urls.add(url);
    const re = new RegExp(
      `^${url
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/')}/?$`,
    );
    for (const m of Array.isArray(method) ? method : [method]) this.patterns.push({ method: m, re });
  }

  /** Methods the path answers, as Kong's `Allow`: always with HEAD and OPTIONS, sorted. */
  methodsFor(url: string): string[] {
    const path = url.split('?')[0];
    const methods = new Set(this.patterns.filter((p) => p.re.test(path)).map((p) => p.method));
    if (!methods.size) return [];
    methods.add('HEAD').add('OPTIONS');
    return [...methods].sort();
  }

  allowsOtherMethod(method: string, url: string): boolean {
    const path = url.split('?')[0];
    return this.patterns.some((p) => p.method !== method && p.re.test(path));
  }
}
