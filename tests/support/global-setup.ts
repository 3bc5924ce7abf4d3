import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { createOrm, migrate } from '../../src/db/orm.js';
import { createLogger } from '../../src/log.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: 'server' | 'embedded';
  }
}

/**
 * One database for the whole run: the PostgreSQL server at TEST_DATABASE_URL, or else an embedded
 * PGlite in a temporary folder. Migrated once; every test works in tenants of its own.
 */
export default async function setup(project: TestProject) {
  const log = createLogger({ level: 'silent' });
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  let url = process.env.TEST_DATABASE_URL;
  if (!url) {
    dataDir = await mkdtemp(join(tmpdir(), 'prm-test-'));
    embedded = await openEmbeddedDatabase({ dataDir, log });
    url = embedded.url;
  }
  const orm = await createOrm({ url, poolMax: 2 });
  await migrate(orm);
  await orm.close();
  project.provide('databaseUrl', url);
  project.provide('databaseKind', embedded ? 'embedded' : 'server');

  return async () => {
    await embedded?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}
