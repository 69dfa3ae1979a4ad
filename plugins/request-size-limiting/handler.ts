/**
 * request-size-limiting: a body over the allowed size is refused before it goes upstream —
 * by its Content-Length when it has one (413, or 417 to a client waiting on
 * `Expect: 100-continue`), else by the bytes read (the gateway reads such a body whole, within
 * its own buffering limit); without a Content-Length and with `require_content_length`, 411.
 */
import { defineHandler, type RequestContextApi } from '../../data-plane/runtime/plugin-api';
import { requestSizeLimitingPlugin, SIZE_UNITS } from './schema';

const DECIMAL = /^\d+$/;

export default defineHandler(requestSizeLimitingPlugin, (c) => {
  const allowed = c.allowed_payload_size * SIZE_UNITS[c.size_unit];
  const refuse = (ctx: RequestContextApi, size: number) => {
    if (size <= allowed) return;
    const expect = String(ctx.req.headers.expect ?? '')
      .trim()
      .toLowerCase();
    ctx.error(expect === '100-continue' ? 417 : 413, 'Request size limit exceeded');
  };
  return {
    // A body without a length is measured by reading it.
    needsRequestBody: !c.require_content_length,
    access(ctx) {
      const length = ctx.req.headers['content-length'];
      if (length !== undefined && DECIMAL.test(length)) return refuse(ctx, Number(length));
      if (c.require_content_length) return ctx.error(411, 'A valid Content-Length header is required');
      refuse(ctx, ctx.body?.length ?? 0);
    },
  };
});
