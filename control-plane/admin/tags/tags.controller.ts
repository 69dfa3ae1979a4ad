import { Controller, Get, Param, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ENTITY_LIST } from '../../../shared/entities';
import { invalidOffset, schemaViolation } from '../../../shared/errors';
import { Tags } from '../../../shared/schema/kong-types';
import { validate } from '../../../shared/schema/validator';
import { EntityStore } from '../common/entity-store.service';
import { KongHttpError } from '../common/kong-http-error';
import { parseSize } from '../common/list-options';

interface TagRow {
  tag: string;
  entity_name: string;
  entity_id: string;
}

/** Every (tag, entity) pair, over all entity tables. */
const ALL_TAGS = ENTITY_LIST.map(
  (e) => `SELECT unnest(tags) AS tag, '${e.name}' AS entity_name, id::text AS entity_id FROM ${e.name}`,
).join(' UNION ALL ');

function encodeTagOffset(row: TagRow): string {
  return Buffer.from(JSON.stringify([row.tag, row.entity_name, row.entity_id])).toString('base64url');
}

function decodeTagOffset(offset: string): [string, string, string] {
  try {
    const v = JSON.parse(Buffer.from(offset, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'string')) return v as any;
  } catch {
    // fall through
  }
  throw new KongHttpError(400, invalidOffset(offset, 'bad base64 encoding'));
}

/** Kong's `/tags` and `/tags/{tag}`: which entities carry which tag, paginated. */
@Controller('tags')
export class TagsController {
  constructor(private readonly store: EntityStore) {}

  @Get()
  all(@Req() req: FastifyRequest) {
    return this.page(req, undefined);
  }

  @Get(':tag')
  one(@Param('tag') tag: string, @Req() req: FastifyRequest) {
    const check = validate(Tags(), [tag]);
    if (!check.ok)
      throw new KongHttpError(400, schemaViolation([{ path: ['tags'], message: check.errors[0].message }]));
    return this.page(req, tag);
  }

  private async page(req: FastifyRequest, tag: string | undefined) {
    const q = (req.query ?? {}) as Record<string, string | undefined>;
    const size = parseSize(q.size);
    const params: unknown[] = [];
    const conds: string[] = [];
    if (tag !== undefined) {
      params.push(tag);
      conds.push(`tag = $${params.length}`);
    }
    if (q.offset !== undefined) {
      params.push(...decodeTagOffset(q.offset));
      const n = params.length;
      conds.push(`(tag, entity_name, entity_id) > ($${n - 2}, $${n - 1}, $${n})`);
    }
    params.push(size + 1);
    const rows: TagRow[] = await this.store.query(
      `SELECT tag, entity_name, entity_id FROM (${ALL_TAGS}) t ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ` +
        `ORDER BY tag, entity_name, entity_id LIMIT $${params.length}`,
      params,
    );
    const data = rows
      .slice(0, size)
      .map((r) => ({ entity_name: r.entity_name, entity_id: r.entity_id, tag: r.tag }));
    if (rows.length <= size) return { data, next: null };
    const offset = encodeTagOffset(data[data.length - 1]);
    const next = new URLSearchParams({ offset });
    if (q.size) next.set('size', q.size);
    return { data, offset, next: `${req.url.split('?')[0]}?${next.toString()}` };
  }
}
