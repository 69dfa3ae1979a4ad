/**
 * The `Host` check every management listener (Admin API, console, status) runs first: before
 * authentication and before any body is read. A refused request gets 421 Misdirected Request
 * with Kong's error body and the connection is closed.
 */
import type { FastifyInstance } from 'fastify';
import { requestHostRefusal, type HostNames } from './host-names';

export function guardHost(app: FastifyInstance, guard: HostNames | null): void {
  if (!guard) return;
  app.addHook('onRequest', (req, reply, done) => {
    const why = requestHostRefusal(guard, req.raw);
    if (!why) return done();
    reply
      .status(421)
      .header('content-type', 'application/json; charset=utf-8')
      .header('connection', 'close')
      .send(JSON.stringify({ message: `Misdirected request: ${why}` }));
  });
}
