import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openEmbeddedDatabase } from './embedded.js';
import { createOrm, migrate } from './orm.js';
import { LEXICAL_ONLY_WARNING } from '../modules/vector/storage.js';

export type Database = {
  orm: MikroORM;
  /** `server` (DATABASE_URL), or the embedded database opened here (`embedded`) or by another process (`embedded-shared`). */
  kind: 'server' | 'embedded' | 'embedded-shared';
  close(): Promise<void>;
};

/** Connects to the configured database and brings its schema up to date. */
export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  if (config.databaseUrl) {
    const orm = await createOrm({ url: config.databaseUrl, poolMax: config.poolMax });
    await applyMigrations(orm, log);
    return { orm, kind: 'server', close: () => orm.close() };
  }
  const embedded = await openEmbeddedDatabase({ dataDir: config.dataDir, log });
  const orm = await createOrm({ url: embedded.url, poolMax: config.poolMax });
  await applyMigrations(orm, log);
  return {
    orm,
    kind: embedded.role === 'owner' ? 'embedded' : 'embedded-shared',
    close: async () => {
      await orm.close();
      await embedded.close();
    },
  };
}

async function applyMigrations(orm: MikroORM, log: Logger): Promise<void> {
  const { applied, vectors } = await migrate(orm);
  if (applied.length > 0) log.info({ applied }, 'migrations applied');
  if (!vectors) log.warn(LEXICAL_ONLY_WARNING);
}

/** What `/health` reports about the database. */
export async function databaseHealth(orm: MikroORM): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
  const started = performance.now();
  try {
    await orm.em.getConnection().execute('select 1');
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (error as Error).message };
  }
}
