import { readFileSync, rmSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { vector } from '@electric-sql/pglite-pgvector';
import type { Logger } from '../log.js';
import { serveEmbedded } from './embedded-server.js';
import { startWalFlusher } from './wal-flusher.js';

/**
 * The embedded database: PGlite (Postgres compiled to WebAssembly) with its data in a folder, served
 * on a loopback port so the ORM, psql and other processes all speak the ordinary Postgres protocol.
 *
 * One process at a time opens the folder. It writes `db.lock` (its pid and port); any other process
 * (the stdio MCP server, a CLI command) that finds a live owner connects to its port instead, and
 * opens the folder itself only when no live process holds it.
 */
export type EmbeddedDatabase = {
  url: string;
  /** `owner`: this process opened the folder; `client`: it uses another process's database. */
  role: 'owner' | 'client';
  ownerPid: number;
  close(): Promise<void>;
};

type LockFile = { pid: number; port: number | null; startedAt: string };

const LOCK_NAME = 'db.lock';
const START_WAIT_MS = 60_000;

const urlFor = (port: number) => `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function readLock(path: string): Promise<LockFile | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockFile;
  } catch {
    return undefined;
  }
}

/** Creates the lock file only if none exists: the atomic step that makes one process the owner. */
async function tryCreateLock(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx');
    await handle.writeFile(JSON.stringify({ pid: process.pid, port: null, startedAt: new Date().toISOString() }));
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function writeLock(path: string, lock: LockFile): Promise<void> {
  const handle = await open(path, 'w');
  await handle.writeFile(JSON.stringify(lock));
  await handle.close();
}

/** Opens the embedded database in `dataDir`, or joins the process that already has it open. */
export async function openEmbeddedDatabase(options: { dataDir: string; log: Logger; port?: number }): Promise<EmbeddedDatabase> {
  await mkdir(options.dataDir, { recursive: true });
  const lockPath = join(options.dataDir, LOCK_NAME);
  const deadline = Date.now() + START_WAIT_MS;

  while (Date.now() < deadline) {
    if (await tryCreateLock(lockPath)) return startOwner({ ...options, lockPath });

    const lock = await readLock(lockPath);
    if (lock && lock.pid !== process.pid && isAlive(lock.pid)) {
      if (lock.port !== null && (await canConnect(lock.port))) {
        options.log.info({ ownerPid: lock.pid, port: lock.port }, 'embedded database is open in another process; using it');
        return { url: urlFor(lock.port), role: 'client', ownerPid: lock.pid, close: async () => {} };
      }
      await sleep(200); // the owner is still starting (or stopping): ask again
      continue;
    }
    // The lock's process is gone (a crash or a kill): the lock is stale. Re-read before removing it,
    // so a lock that another starter just wrote is left alone.
    const again = await readLock(lockPath);
    if (again && again.startedAt === lock?.startedAt && again.pid === lock?.pid) {
      options.log.warn({ stalePid: lock?.pid }, 'removing a stale embedded database lock');
      await rm(lockPath, { force: true });
    }
  }
  throw new Error(`Timed out waiting for the embedded database in ${options.dataDir} (lock: ${lockPath}).`);
}

async function startOwner(options: { dataDir: string; log: Logger; port?: number; lockPath: string }): Promise<EmbeddedDatabase> {
  try {
    const started = Date.now();
    const db = await PGlite.create(join(options.dataDir, 'pg'), { extensions: { vector, btree_gist, pg_trgm } });
    const server = await serveEmbedded(db, { host: '127.0.0.1', port: options.port ?? 0, log: options.log });
    const port = server.port;
    const walFlusher = await startWalFlusher(urlFor(port), options.log);
    await writeLock(options.lockPath, { pid: process.pid, port, startedAt: new Date().toISOString() });
    options.log.info({ dataDir: options.dataDir, port, ms: Date.now() - started }, 'embedded database opened');

    const releaseOnExit = () => {
      // Synchronous on exit: the process is going away; a stale lock would also be recovered.
      try {
        const lock = JSON.parse(readFileSync(options.lockPath, 'utf8')) as LockFile;
        if (lock.pid === process.pid) rmSync(options.lockPath);
      } catch {
        /* nothing to release */
      }
    };
    process.once('exit', releaseOnExit);

    return {
      url: urlFor(port),
      role: 'owner',
      ownerPid: process.pid,
      close: async () => {
        process.off('exit', releaseOnExit);
        await walFlusher.stop();
        await server.close();
        await db.close();
        await rm(options.lockPath, { force: true });
      },
    };
  } catch (error) {
    await rm(options.lockPath, { force: true });
    throw error;
  }
}
