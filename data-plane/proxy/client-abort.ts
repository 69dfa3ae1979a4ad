import { EventEmitter } from 'node:events';

/**
 * "The client went away" for one request: what undici takes as `signal` (an EventEmitter with
 * `aborted` works as well as an AbortSignal) without an AbortController per request, which
 * costs an EventTarget, and a DOMException with a stack when it fires.
 */
export class ClientAbort extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}
