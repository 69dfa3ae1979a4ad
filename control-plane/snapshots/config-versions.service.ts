import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { DataSource, type EntityManager } from 'typeorm';
import { DATABASE_KIND } from '../database/database-kind';
import type { DatabaseKind } from '../database/data-source';

export const CONFIG_CHANNEL = 'tollgate_config';

/**
 * Every committed write bumps the one config version, in the same transaction.
 *
 * The version row is locked first, so writes are serialized: a snapshot at version N contains
 * exactly the writes up to N, and check-then-insert logic inside a write sees a stable world.
 */
@Injectable()
export class ConfigVersions {
  /** Emits `version` (number) after a commit, for this process (and, via NOTIFY, for others). */
  readonly events = new EventEmitter();

  constructor(
    private readonly db: DataSource,
    @Inject(DATABASE_KIND) private readonly kind: DatabaseKind,
  ) {
    this.events.setMaxListeners(0);
  }

  private readonly commitChecks: ((tx: EntityManager) => Promise<void>)[] = [];

  /**
   * A check of the whole config as a write leaves it, run before every commit (it throws to
   * refuse the write): for rules that span entities, such as an MCP listener's tool set.
   */
  addCommitCheck(check: (tx: EntityManager) => Promise<void>): void {
    this.commitChecks.push(check);
  }

  async write<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    const { result, version } = await this.db.transaction(async (tx) => {
      const rows = await tx.query(
        'UPDATE config_state SET version = version + 1, updated_at = now() WHERE id = 1 RETURNING version',
      );
      const version = Number(rows[0][0]?.version ?? rows[0]?.version);
      const result = await fn(tx);
      for (const check of this.commitChecks) await check(tx);
      // Delivered to other control-plane replicas at commit, never for a rolled-back write.
      if (this.kind === 'postgres')
        await tx.query('SELECT pg_notify($1, $2)', [CONFIG_CHANNEL, String(version)]);
      return { result, version };
    });
    this.events.emit('version', version);
    return result;
  }

  async current(): Promise<number> {
    const rows = await this.db.query('SELECT version FROM config_state WHERE id = 1');
    return Number(rows[0].version);
  }
}
