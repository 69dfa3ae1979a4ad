/**
 * Applying a snapshot across workers in two steps: every worker compiles it (prepare); only
 * when all succeeded do they all serve it (commit); any failure aborts it everywhere, so the
 * workers never serve different versions. Rounds run one at a time: a worker never holds two
 * prepared configs at once.
 */
import type { Worker } from 'node:cluster';
import { encodeSnapshotText, type Snapshot } from '../../shared/snapshot';
import type { FromWorker } from './messages';
import type { WorkerPool } from './worker-pool';

const PREPARE_TIMEOUT_MS = 60_000;

export class ApplyCoordinator {
  /** The config every serving worker runs. */
  current: Snapshot | null = null;
  /** Workers that serve (their first config applied, or started without one): rounds target them. */
  readonly ready = new Set<Worker>();
  private rounds: Promise<unknown> = Promise.resolve();

  constructor(private readonly pool: WorkerPool) {}

  /** `fn` after every round before it. */
  inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.rounds.then(fn);
    this.rounds = run.catch(() => undefined);
    return run;
  }

  /** Every serving worker moves to `snapshot`, or none does (throws with the first failure). */
  apply(snapshot: Snapshot): Promise<void> {
    return this.inTurn(async () => {
      await this.applyTo([...this.ready], snapshot);
      this.current = snapshot;
    });
  }

  /** A new worker serves the current config (as of its turn) before it takes connections. */
  admit(w: Worker): Promise<void> {
    return this.inTurn(async () => {
      if (!this.current) this.pool.send(w, { t: 'start' });
      else await this.applyTo([w], this.current);
      this.ready.add(w);
    });
  }

  forget(w: Worker): void {
    this.ready.delete(w);
  }

  private async applyTo(targets: Worker[], snapshot: Snapshot): Promise<void> {
    const text = encodeSnapshotText(
      snapshot.version,
      snapshot.hash,
      snapshot.canonical ?? JSON.stringify(snapshot.config),
    );
    const round = this.pool.nextSeq();
    const answers = await Promise.all(
      targets.map((w) =>
        this.pool
          .ask<Extract<FromWorker, { t: 'prepared' }>>(
            w,
            { t: 'prepare', seq: round, text },
            PREPARE_TIMEOUT_MS,
          )
          .catch((err: Error) => ({ t: 'prepared' as const, seq: round, error: err.message })),
      ),
    );
    const failed = answers.find((a) => a.error);
    if (failed) {
      for (const w of targets) this.pool.send(w, { t: 'abort', seq: round });
      throw new Error(failed.error);
    }
    for (const w of targets) this.pool.send(w, { t: 'commit', seq: round });
  }
}
