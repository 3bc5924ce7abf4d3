import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { createOrm, migrate } from '../../src/db/orm.js';
import { createLogger } from '../../src/log.js';

export type TestDatabase = { url: string; kind: 'server' | 'embedded'; close(): Promise<void> };

/**
 * A migrated database for a test run: the PostgreSQL server at `serverUrl` (TEST_DATABASE_URL), or
 * else an embedded PGlite in a temporary folder, removed on close. Used by vitest's global setup and
 * by scripts that drive the app outside vitest (`npm run eval`).
 */
export async function openTestDatabase(serverUrl: string | undefined): Promise<TestDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  let url = serverUrl;
  if (!url) {
    dataDir = await mkdtemp(join(tmpdir(), 'prm-test-'));
    embedded = await openEmbeddedDatabase({ dataDir, log: createLogger({ level: 'silent' }) });
    url = embedded.url;
  }
  const orm = await createOrm({ url, poolMax: 2 });
  await migrate(orm);
  await orm.close();
  return {
    url,
    kind: embedded ? 'embedded' : 'server',
    close: async () => {
      await embedded?.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
