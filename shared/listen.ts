/** `host:port` listener addresses, as every TOLLGATE_*_LISTEN variable is written. */
export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListen(value: string, variable: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new Error(`${variable}: expected host:port (e.g. 127.0.0.1:8001), got '${value}'`);
  }
  return { host: m[1] ?? m[2], port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function formatListen(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
