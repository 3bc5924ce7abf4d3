import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../src/db/embedded.js';
import { createLogger } from '../src/log.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'prm-embedded-wal-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('the embedded database after a kill', () => {
  it('keeps commits made without waiting for the WAL flush, once the flush interval has passed', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/unflushed-writer.ts', dataDir, '50'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (const deadline = Date.now() + 60_000; !output.includes('committed') && Date.now() < deadline && child.exitCode === null; ) await sleep(20);
    expect(output).toContain('committed');
    await sleep(600); // three flush intervals
    child.kill('SIGKILL');
    await once(child, 'exit');

    const database = await openEmbeddedDatabase({ dataDir, log: createLogger({ level: 'silent' }) });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ count: number }>('select count(*)::int as count from kept');
      expect(rows[0].count).toBe(50);
    } finally {
      await client.end();
      await database.close();
    }
  }, 120_000);
});
