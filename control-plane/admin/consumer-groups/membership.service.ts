import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { consumerEntity, consumerGroupEntity } from '../../../shared/entities';
import { schemaViolation, uniqueViolation } from '../../../shared/errors';
import { EntityStore, type Entity } from '../common/entity-store.service';
import { KongHttpError, notFound } from '../common/kong-http-error';
import { nowSeconds } from '../common/sql';

/** Consumer ↔ consumer group membership (Kong Enterprise's consumer_group_consumers). */
@Injectable()
export class MembershipService {
  constructor(private readonly store: EntityStore) {}

  /** `consumer=a&consumer=b` or `{"consumer": ["a","b"]}`: the list of references in a body. */
  static refs(body: unknown, field: string): string[] {
    const value = body && typeof body === 'object' ? (body as any)[field] : undefined;
    const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
    if (!list.length || list.some((v) => typeof v !== 'string' || v === '')) {
      throw new KongHttpError(400, schemaViolation([{ path: [field], message: 'required field missing' }]));
    }
    return list;
  }

  async resolve(tx: EntityManager, def: typeof consumerEntity, key: string): Promise<Entity> {
    const found = await this.store.find(def, key, tx);
    if (!found) throw notFound();
    return found;
  }

  async link(tx: EntityManager, group: Entity, consumer: Entity) {
    const rows = await tx.query(
      'INSERT INTO consumer_group_consumers (consumer_group_id, consumer_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING consumer_id',
      [group.id, consumer.id, nowSeconds()],
    );
    if (!rows.length) {
      throw new KongHttpError(
        409,
        uniqueViolation({ consumer: { id: consumer.id }, consumer_group: { id: group.id } }),
      );
    }
  }

  addConsumers(groupKey: string, consumerKeys: string[]) {
    return this.store.versions.write(async (tx) => {
      const group = await this.resolve(tx, consumerGroupEntity, groupKey);
      const consumers: Entity[] = [];
      for (const key of consumerKeys) {
        const consumer = await this.resolve(tx, consumerEntity, key);
        await this.link(tx, group, consumer);
        consumers.push(consumer);
      }
      return { consumer_group: group, consumers };
    });
  }

  addGroups(consumerKey: string, groupKeys: string[]) {
    return this.store.versions.write(async (tx) => {
      const consumer = await this.resolve(tx, consumerEntity, consumerKey);
      const groups: Entity[] = [];
      for (const key of groupKeys) {
        const group = await this.resolve(tx, consumerGroupEntity, key);
        await this.link(tx, group, consumer);
        groups.push(group);
      }
      return { consumer, consumer_groups: groups };
    });
  }

  async consumersOf(groupKey: string): Promise<Entity[]> {
    const group = await this.store.findOrThrow(consumerGroupEntity, groupKey);
    const rows = await this.store.query(
      'SELECT c.doc FROM consumers c JOIN consumer_group_consumers m ON m.consumer_id = c.id WHERE m.consumer_group_id = $1 ORDER BY c.id',
      [group.id],
    );
    return rows.map((r: any) => r.doc);
  }

  /** Members per group (Kong Enterprise's `consumers_count` with `?counter=true`). */
  async counts(groupIds: string[]): Promise<Map<string, number>> {
    if (!groupIds.length) return new Map();
    const rows = await this.store.query(
      'SELECT consumer_group_id AS id, count(*)::int AS n FROM consumer_group_consumers WHERE consumer_group_id = ANY($1::uuid[]) GROUP BY consumer_group_id',
      [groupIds],
    );
    return new Map(rows.map((r: any) => [r.id, r.n]));
  }

  async groupsOf(consumerKey: string): Promise<Entity[]> {
    const consumer = await this.store.findOrThrow(consumerEntity, consumerKey);
    const rows = await this.store.query(
      'SELECT g.doc FROM consumer_groups g JOIN consumer_group_consumers m ON m.consumer_group_id = g.id WHERE m.consumer_id = $1 ORDER BY g.name',
      [consumer.id],
    );
    return rows.map((r: any) => r.doc);
  }

  /** Inside a caller's transaction: remove one membership; absent is fine. */
  async unlinkIn(tx: EntityManager, groupId: string, consumerId: string) {
    await tx.query('DELETE FROM consumer_group_consumers WHERE consumer_group_id = $1 AND consumer_id = $2', [
      groupId,
      consumerId,
    ]);
  }

  /** Remove one membership (both keys given) or all of one side (the other key undefined). */
  remove(groupKey: string | undefined, consumerKey: string | undefined) {
    return this.store.versions.write(async (tx) => {
      const group =
        groupKey === undefined ? undefined : await this.resolve(tx, consumerGroupEntity, groupKey);
      const consumer =
        consumerKey === undefined ? undefined : await this.resolve(tx, consumerEntity, consumerKey);
      const conds: string[] = [];
      const params: string[] = [];
      if (group) conds.push(`consumer_group_id = $${params.push(group.id)}`);
      if (consumer) conds.push(`consumer_id = $${params.push(consumer.id)}`);
      await tx.query(`DELETE FROM consumer_group_consumers WHERE ${conds.join(' AND ')}`, params);
    });
  }
}
