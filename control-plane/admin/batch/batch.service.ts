import { Injectable } from '@nestjs/common';
import { ENTITIES } from '../../../shared/entities';
import { schemaViolation } from '../../../shared/errors';
import type { BatchOperation } from '../../../shared/batch-operation';
import { EntityStore } from '../common/entity-store.service';
import { KongHttpError } from '../common/kong-http-error';
import { MembershipService } from '../consumer-groups/membership.service';

const MAX_BATCH_OPERATIONS = 200_000;

/**
 * Many changes, one transaction, one config version: a sync either applies completely or not
 * at all, and data planes see one new snapshot instead of thousands.
 */
@Injectable()
export class BatchService {
  constructor(
    private readonly store: EntityStore,
    private readonly members: MembershipService,
  ) {}

  async apply(operations: unknown): Promise<{ applied: number; version: number }> {
    if (!Array.isArray(operations) || operations.length > MAX_BATCH_OPERATIONS) {
      throw new KongHttpError(
        400,
        schemaViolation([
          {
            path: ['operations'],
            message: `expected an array of at most ${MAX_BATCH_OPERATIONS} operations`,
          },
        ]),
      );
    }
    await this.store.versions.write(async (tx) => {
      for (let i = 0; i < operations.length; i++) {
        const o = operations[i] as BatchOperation;
        try {
          if (o?.op === 'upsert' || o?.op === 'delete') {
            const def = ENTITIES.get(o.entity);
            if (!def || typeof o.id !== 'string')
              throw new KongHttpError(400, { message: `unknown entity '${o.entity}'` });
            if (o.op === 'upsert') await this.store.upsertIn(tx, def, o.id, o.body ?? {});
            else {
              const found = await this.store.find(def, o.id, tx);
              if (found) await this.store.deleteIn(tx, def, found.id);
            }
          } else if (o?.op === 'add_member' || o?.op === 'remove_member') {
            const group = await this.members.resolve(tx, ENTITIES.get('consumer_groups')!, o.consumer_group);
            const consumer = await this.members.resolve(tx, ENTITIES.get('consumers')!, o.consumer);
            if (o.op === 'add_member') await this.members.link(tx, group, consumer);
            else await this.members.unlinkIn(tx, group.id, consumer.id);
          } else {
            throw new KongHttpError(400, { message: `unknown operation '${(o as any)?.op}'` });
          }
        } catch (err) {
          if (err instanceof KongHttpError) {
            throw new KongHttpError(err.status, {
              ...err.body,
              message: `operation ${i}: ${err.body.message}`,
              operation: i,
            } as any);
          }
          throw err;
        }
      }
    });
    return { applied: operations.length, version: await this.store.versions.current() };
  }
}
