export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** A small Admin API client: JSON in and out, or form bodies with `form: true`. */
export function adminClient(baseUrl: string, token?: string) {
  return async function call(
    method: string,
    path: string,
    body?: unknown,
    opts: { form?: boolean; raw?: string; contentType?: string } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (opts.raw !== undefined) {
      payload = opts.raw;
      headers['content-type'] = opts.contentType ?? 'application/json';
    } else if (body !== undefined && opts.form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        for (const item of Array.isArray(v) ? v : [v]) p.append(k, String(item));
      }
      payload = p.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(baseUrl + path, { method, headers, body: payload });
    const text = await res.text();
    let parsed: any = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
}
