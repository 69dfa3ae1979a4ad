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
