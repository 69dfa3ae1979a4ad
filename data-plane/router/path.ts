/**
 * Request-path normalisation before matching (as Kong does): percent-decode unreserved
 * characters, collapse dot segments. Anything else stays encoded so the gateway and the upstream
 * read the same path.
 */
const UNRESERVED = /%(2[DdEe]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]|5[Ff]|7[Ee])/g;

export function normalizePath(raw: string): string {
  let path = raw.replace(UNRESERVED, (m) => String.fromCharCode(parseInt(m.slice(1), 16)));
  if (!path.startsWith('/')) path = `/${path}`;
  if (!path.includes('/.')) return path;
  const out: string[] = [];
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i];
    if (seg === '.') {
      if (i === segments.length - 1) out.push('');
      continue;
    }
    if (seg === '..') {
      out.pop();
      if (i === segments.length - 1) out.push('');
      continue;
    }
    out.push(seg);
  }
  return `/${out.join('/')}`;
}

/**
 * Kong's upstream path: the service path joined with what is left of the request path
 * (after strip_path). `v0` puts exactly one slash between them; `v1` concatenates.
 */
export function joinUpstreamPath(servicePath: string | null, rest: string, handling: 'v0' | 'v1'): string {
  const base = servicePath ?? '/';
  if (rest === '') return base;
  if (handling === 'v1') {
    if (base.endsWith('/') && rest.startsWith('/')) return base + rest.slice(1);
    return base + rest;
  }
  const left = base.endsWith('/') ? base.slice(0, -1) : base;
  const right = rest.startsWith('/') ? rest : `/${rest}`;
  return left + right;
}
