import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { openInProcess } from './in-process.js';
import type { BenchDatabase } from './section.js';

/** A database for the run, and how to get rid of it afterwards. */
export type Prepared = { database: BenchDatabase; version: string; cleanup(): Promise<void> };

const DEFAULT_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The embedded database (PGlite) in a temporary folder, removed at the end. */
export async function prepareEmbedded(): Promise<Prepared> {
  const dataDir = await mkdtemp(join(tmpdir(), 'prm-bench-'));
  const database: BenchDatabase = { kind: 'embedded', label: 'embedded (PGlite)', dataDir };
  return { database, version: await serverVersion(database), cleanup: () => rm(dataDir, { recursive: true, force: true }) };
}

/**
 * The PostgreSQL server: a fresh `prm_bench_<timestamp>` database, dropped at the end, or the
 * database at BENCH_DATABASE_URL as it is (neither created nor dropped). Undefined with the reason
 * when the server does not answer.
 */
export async function prepareServer(): Promise<Prepared | { skipped: string }> {
  const given = process.env.BENCH_DATABASE_URL;
  const target = new URL(given ?? DEFAULT_SERVER);
  if (!(await reachable(target.hostname, Number(target.port || 5432)))) {
    return { skipped: `no PostgreSQL server answers at ${target.host} (set BENCH_DATABASE_URL to use another)` };
  }
  if (given) {
    const database: BenchDatabase = { kind: 'server', label: 'server (PostgreSQL)', url: given };
    return { database, version: await serverVersion(database), cleanup: async () => {} };
  }
  const name = `prm_bench_${Date.now()}`;
  await administer(DEFAULT_SERVER, `create database ${name}`);
  const url = new URL(DEFAULT_SERVER);
  url.pathname = `/${name}`;
  const database: BenchDatabase = { kind: 'server', label: 'server (PostgreSQL)', url: url.toString() };
  return {
    database,
    version: `${await serverVersion(database)} — database ${name}, dropped after the run`,
    cleanup: () => administer(DEFAULT_SERVER, `drop database if exists ${name} with (force)`),
  };
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** One statement on the maintenance database, with the ORM's own driver. */
async function administer(url: string, sql: string): Promise<void> {
  const orm = await MikroORM.init({ driver: PostgreSqlDriver, clientUrl: url, entities: [], discovery: { warnWhenNoEntities: false }, pool: { min: 0, max: 1 } });
  try {
    await orm.em.getConnection().execute(sql);
  } finally {
    await orm.close();
  }
}

/**
 * `select version()`, shortened to the product and version, with the settings that decide what a
 * commit costs. Opening also applies the migrations.
 */
async function serverVersion(database: BenchDatabase): Promise<string> {
  const opened = await openInProcess(database);
  try {
    const [row] = await opened.services.orm.em
      .getConnection()
      .execute<{ version: string; fsync: string; commit: string }[]>(`select version(), current_setting('fsync') as fsync, current_setting('synchronous_commit') as commit`);
    return `${row.version.split(/ on | compiled/)[0].trim()} (fsync ${row.fsync}, synchronous_commit ${row.commit})`;
  } finally {
    await opened.close();
  }
}
