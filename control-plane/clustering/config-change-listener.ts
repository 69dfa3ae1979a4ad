import { Client } from 'pg';
import { CONFIG_CHANNEL } from '../snapshots/config-versions.service';

/**
 * Postgres LISTEN on the config channel, so a write committed on another control-plane replica
 * reaches the data planes connected here. Reconnects forever; calls `onVersion` on each notice
 * (and once after every reconnect, to catch up on what was missed while disconnected).
 */
export class ConfigChangeListener {
  private client?: Client;
  private stopped = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly databaseUrl: string,
    private readonly onVersion: (version?: number) => void,
    private readonly log: (line: string) => void,
  ) {}

  start() {
    void this.connect(0);
  }

  private async connect(attempt: number) {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.databaseUrl });
    this.client = client;
    client.on('notification', (n) => {
      if (n.channel === CONFIG_CHANNEL) this.onVersion(Number(n.payload));
    });
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => this.connect(attempt + 1), Math.min(5000, 200 * 2 ** attempt));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CONFIG_CHANNEL}`);
      attempt = 0;
      this.onVersion();
    } catch (err) {
      this.log(`config change listener: ${(err as Error).message}`);
      client.end().catch(() => undefined);
    }
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.client?.end().catch(() => undefined);
  }
}
