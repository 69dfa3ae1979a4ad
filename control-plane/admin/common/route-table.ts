/**
 * Every registered Admin API route pattern, collected as Fastify registers them, so that a
 * path known under another method answers 405 (Kong) instead of 404.
 */
export class RouteTable {
  private readonly patterns: { method: string; re: RegExp }[] = [];

  add(method: string | string[], url: string) {
    const re = new RegExp(
      `^${url
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/')}/?$`,
    );
    for (const m of Array.isArray(method) ? method : [method]) this.patterns.push({ method: m, re });
  }

  allowsOtherMethod(method: string, url: string): boolean {
    const path = url.split('?')[0];
    return this.patterns.some((p) => p.method !== method && p.re.test(path));
  }
}
