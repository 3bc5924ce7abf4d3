import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../src/db/embedded.js';
import { createOrm } from '../src/db/orm.js';
import { createLogger } from '../src/log.js';

const run = promisify(execFile);
const log = createLogger({ level: 'silent' });
const exists = (path: string) => stat(path).then(() => true, () => false);

/** Runs `src/main.ts migrate` as a second process on the data directory. */
const migrateInChild = (dataDir: string) =>
  run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'migrate'], { env: { PATH: process.env.PATH, PRM_DATA_DIR: dataDir, LOG_LEVEL: 'info' }, timeout: 60_000 });

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'prm-embedded-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('the embedded database is opened by one process at a time', () => {
  it('a second process uses the owner’s database instead of opening the folder', async () => {
    const owner = await openEmbeddedDatabase({ dataDir, log });
    try {
      expect(owner.role).toBe('owner');
      const lock = JSON.parse(await readFile(join(dataDir, 'db.lock'), 'utf8'));
      expect(lock.pid).toBe(process.pid);

      const child = await migrateInChild(dataDir);
      expect(child.stdout).toContain('database is up to date (embedded-shared)');

      // The child's migrations landed in the owner's database, and the owner still answers.
      const orm = await createOrm({ url: owner.url, poolMax: 1 });
      const [row] = await orm.em.getConnection().execute<{ count: string }[]>('select count(*) from mikro_orm_migrations');
      expect(Number(row.count)).toBeGreaterThan(0);
      await orm.close();
    } finally {
      await owner.close();
    }
    expect(await exists(join(dataDir, 'db.lock'))).toBe(false);
  }, 90_000);

  it('a process opens the folder itself when no one holds it, and releases it', async () => {
    const child = await migrateInChild(dataDir);
    expect(child.stdout).toContain('database is up to date (embedded)');
    expect(await exists(join(dataDir, 'db.lock'))).toBe(false);
  }, 90_000);

  it('recovers a lock left by a process that died', async () => {
    await writeFile(join(dataDir, 'db.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, port: 1, startedAt: new Date().toISOString() }));
    const database = await openEmbeddedDatabase({ dataDir, log });
    try {
      expect(database.role).toBe('owner');
    } finally {
      await database.close();
    }
  }, 90_000);
});
