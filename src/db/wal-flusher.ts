import pg from 'pg';
import type { Logger } from '../log.js';

/** How often unflushed commits are made durable: the server's default `wal_writer_delay`. */
const FLUSH_EVERY_MS = 200;

/**
 * Flushes the WAL when commits made without waiting for it (src/db/unflushed.ts) are pending: a WAL
 * record written with flush requested (PostgreSQL 17+) makes them durable, WAL order.
 */
const FLUSH_IF_PENDING = `select case when pg_current_wal_insert_lsn() > pg_current_wal_flush_lsn()
  then pg_logical_emit_message(false, 'prm', 'flush', true) end`;

/**
 * The embedded database's WAL writer. A PostgreSQL server's WAL writer flushes unflushed commits
 * within `wal_writer_delay`, so a crash of the service loses none; PGlite runs single-user, without
 * one, and kept them in memory until the next flushed commit: a service killed after a burst of job
 * completions lost all of them (a webhook bench: 1,006 deliveries sent again after the restart). This
 * plays its part, as a client of the embedded server like any other.
 */
export async function startWalFlusher(url: string, log: Logger): Promise<{ stop(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let flushing: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (flushing) return;
    flushing = client
      .query(FLUSH_IF_PENDING)
      .catch((error: unknown) => log.warn({ err: error }, 'flushing the embedded database WAL failed'))
      .finally(() => (flushing = undefined));
  }, FLUSH_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await flushing;
      await client.end();
    },
  };
}
