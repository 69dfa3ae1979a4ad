/**
 * The workers of a multi-process data plane: forked with the node's identity, asked questions
 * that are answered by sequence number (or time out), replaced 1 s after they exit, stopped
 * with SIGTERM (SIGKILL after 10 s).
 */
import cluster, { type Worker } from 'node:cluster';
import { join } from 'node:path';
import type { FromWorker, ToWorker } from './messages';

export interface WorkerPoolEvents {
  /** A worker is up (first start or a replacement): it needs the link state and the config. */
  online(w: Worker, index: number): void;
  /** A message that is not an answer (`listening`, `analytics`). */
  message(m: FromWorker, index: number): void;
  /** A worker exited (it is replaced unless the pool is stopping). */
  exited(w: Worker): void;
}

export class WorkerPool {
  private readonly workers = new Map<number, Worker>();
  /** Answers awaited, by `<worker id>:<seq>` (one round asks every worker with the same seq). */
  private readonly pending = new Map<
    string,
    { resolve: (m: FromWorker) => void; reject: (e: Error) => void }
  >();
  private seq = 0;
  private stopping = false;

  constructor(
    private readonly env: Record<string, string>,
    private readonly events: WorkerPoolEvents,
    private readonly log: (line: string) => void,
  ) {
    // 'advanced' (structured clone): analytics frames cross as bytes, not as JSON arrays of numbers.
    cluster.setupPrimary({ exec: join(__dirname, 'worker-entry.js'), serialization: 'advanced' });
  }

  get size(): number {
    return this.workers.size;
  }

  all(): Worker[] {
    return [...this.workers.values()];
  }

  nextSeq(): number {
    return ++this.seq;
  }

  // A worker can die between the check and the write: with a callback, a write to its closed
  // channel is an error passed here, not an 'error' event that would take the primary down.
  send(w: Worker, m: ToWorker): void {
    if (w.isConnected()) w.send(m, undefined, undefined, () => undefined);
  }

  broadcast(m: ToWorker): void {
    for (const w of this.workers.values()) this.send(w, m);
  }

  /** Ask a worker and wait for the answer with the same seq (or time out). */
  ask<T extends FromWorker>(w: Worker, m: ToWorker & { seq: number }, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!w.isConnected()) return reject(new Error(`worker ${w.id} is gone`));
      const key = `${w.id}:${m.seq}`;
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`worker ${w.id} did not answer ${m.t} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(key, {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.send(w, m);
    });
  }

  fork(index: number): void {
    const w = cluster.fork({ ...this.env, TOLLGATE_DP_WORKER_INDEX: String(index) });
    this.workers.set(index, w);
    // The exit handler replaces it; an IPC error on the way out is not the primary's end.
    w.on('error', (err) => this.log(`worker ${index}: ${err.message}`));
    w.on('message', (m: FromWorker) => {
      if (m?.t === 'prepared' || m?.t === 'stats') {
        const key = `${w.id}:${m.seq}`;
        this.pending.get(key)?.resolve(m);
        this.pending.delete(key);
      } else if (m) this.events.message(m, index);
    });
    w.once('online', () => this.events.online(w, index));
    w.once('exit', (code, signal) => this.exited(w, index, signal ?? code));
  }

  private exited(w: Worker, index: number, how: string | number | null) {
    this.events.exited(w);
    // Its unanswered questions fail now, not after their timeout.
    for (const [key, p] of this.pending)
      if (key.startsWith(`${w.id}:`)) {
        this.pending.delete(key);
        p.reject(new Error(`worker ${index} exited`));
      }
    if (this.workers.get(index) === w) this.workers.delete(index);
    if (this.stopping) return;
    this.log(`worker ${index} exited (${how}); starting it again in 1 s`);
    setTimeout(() => !this.stopping && this.fork(index), 1000).unref();
  }

  /** SIGTERM to every worker, SIGKILL to those still up after 10 s. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.all().map(
        (w) =>
          new Promise<void>((resolve) => {
            const kill = setTimeout(() => w.process.kill('SIGKILL'), 10_000);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
  }
}
