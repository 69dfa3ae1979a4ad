import type { FastifyRequest } from 'fastify';
import type { EntityDefinition } from '../../../shared/entities';
import type { Entity, Page } from './entity-store.service';
import type { WriteOptions } from './entity-store.service';
import { parseSize, parseTags } from './list-options';

export type Query = Record<string, string | undefined>;

function queryOf(req: FastifyRequest): Query {
  return (req.query ?? {}) as Query;
}

export function writeOptions(req: FastifyRequest, forced?: Record<string, unknown>): WriteOptions {
  const type = String(req.headers['content-type'] ?? '');
  return { coerce: type.startsWith('application/x-www-form-urlencoded'), forced };
}

export function listQuery(req: FastifyRequest, def?: EntityDefinition) {
  const q = queryOf(req);
  const where: Record<string, string> = {};
  for (const field of def?.listFilters ?? []) if (typeof q[field] === 'string') where[field] = q[field];
  return { size: parseSize(q.size), offset: q.offset, tags: parseTags(q.tags), where };
}

/** Kong's page body: `{ data, offset?, next }` where next repeats size and tags. */
export function pageBody(
  req: FastifyRequest,
  page: Page,
): { data: Entity[]; offset?: string; next: string | null } {
  const path = req.url.split('?')[0];
  const q = queryOf(req);
  if (!page.offset) return { data: page.data, next: null };
  const next = new URLSearchParams();
  next.set('offset', page.offset);
  if (q.size) next.set('size', q.size);
  if (q.tags) next.set('tags', q.tags);
  return { data: page.data, offset: page.offset, next: `${path}?${next.toString()}` };
}
