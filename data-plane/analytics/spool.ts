/**
 * The data plane's analytics outbox. Records are batched (by count and time); every sealed
 * batch is written to the data dir before it is sent, so a restart — even a SIGKILL — resends
 * what the control plane has not acknowledged. Batch ids make resends harmless (the CP stores a
 * batch once). Memory holds recent batches up to a bound, older ones are read back from disk;
 * past the disk bound new records are dropped, counted, reported in /status and to the CP.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { ensurePrivateDir } from '../../shared/private-files';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalyticsRecord } from '../../shared/analytics/record';
import { MAX_BATCH_RECORDS } from '../../shared/analytics/record';

export interface SpoolOptions {
  dir: string;
  /** Send one batch frame; false when the link is down. */
  send: (frame: Buffer) => boolean;
  batchRecords?: number;
  /** A batch is sealed once its records' JSON reaches this size (1 MiB). */
  batchBytes?: number;
  flushMs?: number;
  maxMemoryBytes?: number;
  maxDiskBytes?: number;
  /** A batch sent but not acknowledged for this long is sent again. */
  resendAfterMs?: number;
  maxInFlight?: number;
  log?: (line: string) => void;
}

interface Entry {
  id: string;
  file: string;
  bytes: number;
  /** The frame (UTF-8 JSON, off the JS heap), while it fits the memory bound; else read from `file`. */
  text: Buffer | null;
  written: Promise<void>;
  sentAt: number;
  /** Being read back from disk. */
  reading?: boolean;
}

export interface SpoolStats {
  buffered_records: number;
  unacked_batches: number;
  /** Sealed batches still being written to the data dir. */
  writing_batches: number;
  unacked_bytes: number;
  in_memory_bytes: number;
  acked_batches: number;
  dropped_records: number;
}

const MAX_RECORD_CHARS = 256 * 1024;
/** A plugin's report (one tool list's definitions, say): larger ones are split by their makers. */
export const MAX_REPORT_CHARS = 1024 * 1024;

/** A batch file's bytes; null when it cannot be read now (read back later). */
function readBatch(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

export class AnalyticsSpool {
  /**
   * Records of the open batch, each already JSON: serialised one by one as they arrive (a few
   * µs each, off the response path), so sealing is a string join, never one big stringify.
   */
  private current: string[] = [];
  private currentBytes = 0;
  /** Plugins' reports by kind (runtime/plugin-runtime.ts), serialised like records. */
  private currentReports = new Map<string, string[]>();
  private reportCount = 0;
  private readonly queue = new Map<string, Entry>();
  private memoryBytes = 0;
  private diskBytes = 0;
  private droppedSinceReport = 0;
  private droppedTotal = 0;
  private acked = 0;
  private writing = 0;
  private connected = false;
  private timer?: NodeJS.Timeout;
  private readonly o: Required<Omit<SpoolOptions, 'log'>> & Pick<SpoolOptions, 'log'>;

  constructor(opts: SpoolOptions) {
    this.o = {
      batchRecords: Math.min(opts.batchRecords ?? 500, MAX_BATCH_RECORDS),
      batchBytes: opts.batchBytes ?? 1024 * 1024,
      flushMs: opts.flushMs ?? 250,
      maxMemoryBytes: opts.maxMemoryBytes ?? 32 * 1024 * 1024,
      maxDiskBytes: opts.maxDiskBytes ?? 512 * 1024 * 1024,
      resendAfterMs: opts.resendAfterMs ?? 15_000,
      maxInFlight: opts.maxInFlight ?? 4,
      ...opts,
    };
    ensurePrivateDir(this.o.dir);
  }

  /** Pick up batches a previous run left unacknowledged (oldest first). */
  start(): void {
    for (const f of readdirSync(this.o.dir))
      if (f.endsWith('.tmp')) void unlink(join(this.o.dir, f)).catch(() => undefined); // cut off mid-write
    const files = readdirSync(this.o.dir)
      .filter((f) => f.endsWith('.batch'))
      .map((f) => ({ f, t: statSync(join(this.o.dir, f)).mtimeMs }))
      .sort((a, b) => a.t - b.t);
    for (const { f } of files) {
      const file = join(this.o.dir, f);
      const bytes = statSync(file).size;
      // Read now, while the process starts (before it listens), as far as the memory bound goes;
      // the rest is read back from disk later, off the event loop.
      const text = this.memoryBytes + bytes <= this.o.maxMemoryBytes ? readBatch(file) : null;
      if (text) this.memoryBytes += bytes;
      this.queue.set(f.slice(0, -'.batch'.length), {
        id: f.slice(0, -'.batch'.length),
        file,
        bytes,
        text,
        written: Promise.resolve(),
        sentAt: 0,
      });
      this.diskBytes += bytes;
    }
    if (files.length)
      this.o.log?.(`analytics: ${files.length} unacknowledged batches found on disk, resending`);
    this.timer = setInterval(() => {
      this.seal();
      this.pump();
    }, this.o.flushMs);
    this.timer.unref();
  }

  /** Hot path: no I/O, no await. */
  record(records: AnalyticsRecord[]): void {
    for (const r of records) {
      if (this.diskBytes >= this.o.maxDiskBytes) {
        this.droppedSinceReport++;
        this.droppedTotal++;
        continue;
      }
      let json = JSON.stringify(r);
      // One record never outgrows a frame the control plane accepts (it would be resent for ever):
      // an oversized detail is replaced by its size, as the control plane does past 64 KB.
      if (json.length > MAX_RECORD_CHARS)
        json = JSON.stringify({ ...r, detail: { truncated: true, size: json.length } });
      this.current.push(json);
      this.currentBytes += json.length;
      if (this.current.length >= this.o.batchRecords || this.currentBytes >= this.o.batchBytes) this.seal();
    }
  }

  /**
   * A plugin's report for the control plane: it rides in the same batches as the records
   * (written to disk, resent until acknowledged), whether or not records are built.
   */
  report(kind: string, data: unknown): boolean {
    if (this.diskBytes >= this.o.maxDiskBytes) return false;
    const json = JSON.stringify(data);
    if (json === undefined || json.length > MAX_REPORT_CHARS) return false;
    const list = this.currentReports.get(kind) ?? [];
    list.push(json);
    this.currentReports.set(kind, list);
    this.reportCount++;
    this.currentBytes += json.length;
    if (this.currentBytes >= this.o.batchBytes) this.seal();
    return true;
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    if (connected) {
      for (const e of this.queue.values()) e.sentAt = 0; // a new connection: everything unacked goes again
      this.pump();
    }
  }

  ack(batchId: string): void {
    const e = this.queue.get(batchId);
    if (!e) return;
    this.queue.delete(batchId);
    this.acked++;
    if (e.text !== null) this.memoryBytes -= e.bytes;
    this.diskBytes -= e.bytes;
    void e.written.then(() => unlink(e.file).catch(() => undefined));
    this.pump();
  }

  stats(): SpoolStats {
    return {
      buffered_records: this.current.length,
      unacked_batches: this.queue.size,
      writing_batches: this.writing,
      unacked_bytes: this.diskBytes,
      in_memory_bytes: this.memoryBytes,
      acked_batches: this.acked,
      dropped_records: this.droppedTotal,
    };
  }

  /** Seal what is buffered and wait until every batch is on disk (graceful shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.seal();
    await Promise.all([...this.queue.values()].map((e) => e.written));
  }

  private reportsJson(): string {
    if (!this.reportCount) return '';
    const parts = [...this.currentReports].map(([k, list]) => `${JSON.stringify(k)}:[${list.join(',')}]`);
    return `"reports":{${parts.join(',')}},`;
  }

  private seal(): void {
    if (!this.current.length && !this.reportCount && !this.droppedSinceReport) return;
    const id = randomUUID();
    // Encoded once: the same bytes go to the disk and onto the link.
    const text = Buffer.from(
      `{"type":"analytics","batch_id":"${id}","records":[${this.current.join(',')}],${this.reportsJson()}"dropped":${this.droppedSinceReport}}`,
    );
    this.current = [];
    this.currentReports = new Map();
    this.reportCount = 0;
    this.currentBytes = 0;
    this.droppedSinceReport = 0;
    const file = join(this.o.dir, `${id}.batch`);
    const bytes = text.length;
    const tmp = `${file}.tmp`;
    this.writing++;
    const entry: Entry = { id, file, bytes, text: null, written: Promise.resolve(), sentAt: 0 };
    entry.written = writeFile(tmp, text, { mode: 0o600 })
      .then(() => rename(tmp, file))
      .catch((err) => {
        this.o.log?.(`analytics: cannot write batch ${id}: ${err.message}`);
        // Not on disk: it stays in memory (until acked, or lost with the process).
        if (entry.text === null && this.queue.get(id) === entry) {
          entry.text = text;
          this.memoryBytes += bytes;
        }
      })
      .finally(() => this.writing--);
    const inMemory = this.memoryBytes + bytes <= this.o.maxMemoryBytes;
    if (inMemory) this.memoryBytes += bytes;
    this.diskBytes += bytes;
    entry.text = inMemory ? text : null;
    this.queue.set(id, entry);
    this.pump();
  }

  private pump(): void {
    if (!this.connected) return;
    const now = Date.now();
    let inFlight = 0;
    for (const e of this.queue.values()) if (e.sentAt && now - e.sentAt < this.o.resendAfterMs) inFlight++;
    for (const e of this.queue.values()) {
      if (inFlight >= this.o.maxInFlight) break;
      if (e.sentAt && now - e.sentAt < this.o.resendAfterMs) continue;
      if (e.text === null) {
        // Past the memory bound: read back from disk off the event loop, sent when it is in.
        if (!e.reading) {
          e.reading = true;
          // After its write finished (a batch sealed just now may not be on disk yet).
          e.written
            .then(() => readFile(e.file))
            .then((bytes) => {
              if (this.queue.get(e.id) === e && this.connected && this.o.send(bytes)) e.sentAt = Date.now();
            })
            .catch(() => undefined) // not on disk yet; the next pump sends it
            .finally(() => (e.reading = false));
        }
        inFlight++;
        continue;
      }
      if (!this.o.send(e.text)) return;
      e.sentAt = now;
      inFlight++;
    }
  }
}
