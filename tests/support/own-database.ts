import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { openEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { createOrm, migrate } from '../../src/db/orm.js';
import { newId } from '../../src/ids.js';
import { createLogger } from '../../src/log.js';

export type OwnDatabase = { url: string; close(): Promise<void> };

/**
 * A migrated database for one test file alone: a new one on the server, or an embedded one in a folder
 * of its own. For files that run a job worker the way the service does: a running worker takes any
 * clinic's due jobs, so on the shared database it would take other test files' jobs, and they its.
 */
export async function ownDatabase(): Promise<OwnDatabase> {
  const database = await createDatabase();
  const orm = await createOrm({ url: database.url, poolMax: 2 });
  await migrate(orm);
  await orm.close();
  return database;
}

async function createDatabase(): Promise<OwnDatabase> {
  if (inject('databaseKind') === 'server') {
    const server = new URL(inject('databaseUrl'));
    const name = `prm_own_${newId().replaceAll('-', '').slice(0, 16)}`;
    const admin = await createOrm({ url: server.toString(), poolMax: 1 });
    await admin.em.getConnection().execute(`create database ${name}`);
    await admin.close();
    const url = new URL(server);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      close: async () => {
        const dropper = await createOrm({ url: server.toString(), poolMax: 1 });
        await dropper.em.getConnection().execute(`drop database if exists ${name} with (force)`);
        await dropper.close();
      },
    };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'prm-own-'));
  const embedded: EmbeddedDatabase = await openEmbeddedDatabase({ dataDir, log: createLogger({ level: 'silent' }) });
  return {
    url: embedded.url,
    close: async () => {
      await embedded.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
