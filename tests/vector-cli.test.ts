import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { search } from './support/vector-fixtures.js';

const exec = promisify(execFile);
let harness: Harness;
let clinic: TestTenant;
let folder: string;

/** `npm run ingest -- <args>` against the test database. */
const ingest = (...args: string[]) =>
  exec(process.execPath, ['--import', 'tsx', 'src/main.ts', 'ingest', ...args], { env: { PATH: process.env.PATH, DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'error' }, timeout: 60_000 });

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
  folder = await mkdtemp(join(tmpdir(), 'prm-knowledge-'));
  await mkdir(join(folder, 'policies'));
  await writeFile(join(folder, 'hours.md'), '# Opening hours\n\nWe open at eight on weekdays and close at noon on Saturdays.');
  await writeFile(join(folder, 'policies', 'pets.txt'), 'Service animals are welcome; other pets wait outside.');
  await writeFile(join(folder, 'brochure.pdf'), '%PDF-1.4 not read');
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await harness.close();
});

describe('npm run ingest', () => {
  it('ingests .md and .txt files as knowledge, then skips them while unchanged', async () => {
    const first = await ingest(folder, '--tenant', clinic.tenant.slug);
    expect(first.stdout).toContain(`${clinic.tenant.slug}: 2 files ingested (2 chunks), 0 unchanged, 0 failed, 1 not .md or .txt (PDF is not supported)`);
    expect(first.stderr).toMatch(/2\/2 files, 2 chunks, [\d.]+ chunks\/s/);
    const found = await search(clinic, 'open on Saturdays');
    expect(found.results[0].source.title).toBe('Opening hours');
    expect((await search(clinic, 'service animals pets')).results[0].source.title).toBe('pets');

    const again = await ingest(folder, '--tenant', clinic.tenant.slug);
    expect(again.stdout).toContain('0 files ingested (0 chunks), 2 unchanged');
  }, 120_000);

  it('explains its usage for a missing folder or an unknown tenant', async () => {
    const noFolder = await ingest().catch((error: { code: number; stderr: string }) => error);
    expect(noFolder).toMatchObject({ code: 2 });
    const noTenant = await ingest(folder, '--tenant', 'no-such-clinic').catch((error: { code: number; stderr: string }) => error);
    expect((noTenant as { stderr: string }).stderr).toContain('No tenant "no-such-clinic"');
  }, 120_000);
});
