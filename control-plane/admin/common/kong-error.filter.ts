import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KongHttpError } from './kong-http-error';
import { METHOD_NOT_ALLOWED, NOT_FOUND, UNEXPECTED } from '../../../shared/errors';
import type { RouteTable } from './route-table';

/** Renders every Admin API error with Kong's status codes and bodies. */
@Catch()
export class KongErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('AdminAPI');

  constructor(private readonly routes: RouteTable) {}

  catch(err: unknown, host: ArgumentsHost) {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const req = ctx.getRequest<FastifyRequest>();
    const send = (status: number, body: unknown) =>
      reply
        .status(status)
        .header('content-type', 'application/json; charset=utf-8')
        .send(JSON.stringify(body));

    if (err instanceof KongHttpError) return send(err.status, err.body);
    if (err instanceof HttpException) {
      const status = err.getStatus();
      if (status === 404) {
        // Nest's 404 means no route matched: 405 if the path exists with other methods.
        if (this.routes.allowsOtherMethod(req.method, req.url)) return send(405, METHOD_NOT_ALLOWED);
        return send(404, NOT_FOUND);
      }
      if (status === 405) return send(405, METHOD_NOT_ALLOWED);
      return send(status, { message: err.message });
    }
    const e = err as any;
    if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(413, { message: 'Payload too large' });
    if (e?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return send(415, { message: 'Unsupported Media Type' });
    if (e?.statusCode && e.statusCode < 500) return send(e.statusCode, { message: e.message });
    this.log.error(`${req.method} ${req.url.split('?')[0]}: ${e?.stack ?? e}`);
    return send(500, UNEXPECTED);
  }
}
