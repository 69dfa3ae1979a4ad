/**
 * A data directory is owned by one process per role at a time: two control planes writing one
 * embedded database (or two data planes one spool) lose each other's writes. The lock is a unix
 * socket the owner listens on in the directory: the kernel closes it when the owner dies, however
 * it dies, so a stale lock is recognised (nothing answers) and taken over, and a live owner
 * answers with its pid. No pid file can be fooled by pid reuse or a container restart.
 *
 * Socket paths are limited (~107 bytes): the socket is bound through a path relative to the
 * working directory when that is shorter; when neither fits, a pid file is the fallback.
 */
import { createConnection, createServer, type Server } from 'node:net';
import { closeSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ensurePrivateDir } from './private-files';

const MAX_SOCKET_PATH = 100;

export class DataDirInUse extends Error {}

export interface DataDirLock {
  release(): Promise<void>;
}

function inUse(dir: string, role: string, pid: string): DataDirInUse {
  return new DataDirInUse(
    `the data directory ${resolve(dir)} is in use by another tollgate ${role} (pid ${pid || 'unknown'}): ` +
      'stop it, or give this one its own TOLLGATE_DATA_DIR',
  );
}

/** The pid of the live owner listening on `path`, or null when nobody does. */
function owner(path: string): Promise<string | null> {
  return new Promise((resolvePid) => {
    const socket = createConnection(path);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolvePid(text.trim()));
    socket.on('error', () => resolvePid(null));
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolvePid('unknown'); // something holds it and does not answer: never take it over
    });
  });
}

function listen(path: string): Promise<Server> {
  return new Promise((ok, fail) => {
    const server = createServer((s) => s.end(`${process.pid}\n`));
    server.once('error', fail);
    server.listen(path, () => {
      server.removeListener('error', fail);
      server.unref();
      ok(server);
    });
  });
}

export async function lockDataDir(dir: string, role: 'control-plane' | 'data-plane'): Promise<DataDirLock> {
  ensurePrivateDir(resolve(dir));
  const absolute = join(resolve(dir), `.${role}.lock`);
  const rel = relative(process.cwd(), absolute);
  const path = absolute.length <= MAX_SOCKET_PATH ? absolute : rel.length <= MAX_SOCKET_PATH ? rel : null;
  if (!path) return pidFileLock(absolute, dir, role);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const server = await listen(path);
      return {
        release: () =>
          new Promise<void>((done) => {
            server.close(() => done());
          }),
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      const pid = await owner(path);
      if (pid !== null) throw inUse(dir, role, pid);
      // Left by an owner that died: nobody listens. Take it over (a racing starter loses at listen).
      rmSync(path, { force: true });
    }
  }
  throw inUse(dir, role, 'unknown');
}

/** The fallback for paths too long for a socket: a pid file, checked for a live pid. */
function pidFileLock(file: string, dir: string, role: string): DataDirLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(`${file}.pid`, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return { release: async () => unlinkSync(`${file}.pid`) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = readFileSync(`${file}.pid`, 'utf8').trim();
      let alive = false;
      try {
        process.kill(Number(pid), 0);
        alive = Number(pid) > 0;
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive) throw inUse(dir, role, pid);
      rmSync(`${file}.pid`, { force: true });
    }
  }
  throw inUse(dir, role, 'unknown');
}

/** Start something that owns `dir` for `role`; the lock goes with its `close()`. */
export async function withDataDirLock<T extends { close(): Promise<void> }>(
  dir: string,
  role: 'control-plane' | 'data-plane',
  start: () => Promise<T>,
): Promise<T> {
  const lock = await lockDataDir(dir, role);
  let running: T;
  try {
    running = await start();
  } catch (err) {
    await lock.release();
    throw err;
  }
  const close = running.close.bind(running);
  running.close = async () => {
    try {
      await close();
    } finally {
      await lock.release();
    }
  };
  return running;
}
