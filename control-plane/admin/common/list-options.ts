import { invalidOffset, invalidOptions, invalidSize } from '../../../shared/errors';
import { KongHttpError } from './kong-http-error';
import { isUuid } from './sql';

export interface TagFilter {
  mode: 'and' | 'or';
  tags: string[];
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

export function parseSize(raw: unknown): number {
  if (raw === undefined) return DEFAULT_PAGE_SIZE;
  const n = Number(raw);
  if (raw === '' || Number.isNaN(n)) throw new KongHttpError(400, invalidSize('size must be a number'));
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new KongHttpError(400, invalidSize(`size must be an integer between 1 and ${MAX_PAGE_SIZE}`));
  }
  return n;
}

/** `tags=a,b` — all of them; `tags=a/b` — any of them (Kong). */
export function parseTags(raw: unknown): TagFilter | undefined {
  if (raw === undefined) return undefined;
  const value = String(raw);
  if (value === '')
    throw new KongHttpError(
      400,
      invalidOptions({ tags: 'cannot be null' }, 'invalid option (tags: cannot be null)'),
    );
  const hasAnd = value.includes(',');
  const hasOr = value.includes('/');
  if (hasAnd && hasOr) {
    throw new KongHttpError(
      400,
      invalidOptions({ tags: 'invalid filter syntax' }, 'invalid option (tags: invalid filter syntax)'),
    );
  }
  const tags = value.split(hasOr ? '/' : ',');
  if (tags.length > 5) {
    throw new KongHttpError(
      400,
      invalidOptions(
        { tags: 'cannot query more than 5 tags' },
        'invalid option (tags: cannot query more than 5 tags)',
      ),
    );
  }
  if (tags.some((t) => t === '')) {
    throw new KongHttpError(
      400,
      invalidOptions({ tags: 'invalid filter syntax' }, 'invalid option (tags: invalid filter syntax)'),
    );
  }
  return { mode: hasOr ? 'or' : 'and', tags };
}

/** Offsets are opaque to clients: the last id of the previous page, base64url-encoded. */
export function encodeOffset(lastId: string): string {
  return Buffer.from(JSON.stringify([lastId])).toString('base64url');
}

export function decodeOffset(offset: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(offset, 'base64url').toString('utf8'));
  } catch {
    throw new KongHttpError(400, invalidOffset(offset, 'bad base64 encoding'));
  }
  if (!Array.isArray(decoded) || typeof decoded[0] !== 'string' || !isUuid(decoded[0])) {
    throw new KongHttpError(400, invalidOffset(offset, 'bad base64 encoding'));
  }
  return decoded[0];
}
