import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newId } from '../src/ids.js';
import { ApiKey } from '../src/modules/tenancy/entities.js';
import { createHarness, type Harness } from './support/harness.js';

const exec = promisify(execFile);
let harness: Harness;

/** Runs `src/main.ts <args>` against the test database, as `npm run tenants|keys -- ...` does. */
const cli = (...args: string[]) =>
  exec(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { env: { PATH: process.env.PATH, DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'error' }, timeout: 60_000 });

beforeAll(async () => {
  harness = await createHarness();
});
afterAll(() => harness.close());

describe('the tenants and keys commands', () => {
  it('create a tenant, create a key that works, list it, revoke it', async () => {
    const slug = `cli-${randomUUID().slice(0, 8)}`;
    const created = await cli('tenants', 'create', '--slug', slug, '--name', 'North Clinic', '--time-zone', 'Europe/London', '--country', 'gb');
    expect(created.stdout).toContain(`created tenant ${slug}`);
    expect((await cli('tenants', 'list')).stdout).toContain(slug);

    const keyOutput = (await cli('keys', 'create', '--tenant', slug, '--role', 'staff', '--name', 'front desk')).stdout;
    const key = /(prm_\S+)/.exec(keyOutput)?.[1] ?? '';
    const keyId = /key ([0-9a-f-]{36})/.exec(keyOutput)?.[1] ?? '';
    const asKey = () => harness.app.request('/api/v1/prm/tickets', { headers: { authorization: `Bearer ${key}` } });
    expect((await asKey()).status).toBe(200);
    expect((await cli('keys', 'list', '--tenant', slug)).stdout).toMatch(new RegExp(`${keyId}\\tstaff\\t.*active\\tfront desk`));

    // Revoked by another process (the CLI): this one, which has the key in its cache, refuses it within 5 s.
    await cli('keys', 'revoke', keyId);
    const revokedAt = performance.now();
    while ((await asKey()).status === 200 && performance.now() - revokedAt < 6_000) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await asKey()).status).toBe(401);
    expect(performance.now() - revokedAt).toBeLessThan(5_000);
    expect((await cli('keys', 'list', '--tenant', slug)).stdout).toContain('revoked');
  }, 120_000);

  // 700 keys: ~72 KB, a pipe (64 KiB) and a little more; 2,000: ~230 KB, several pipes.
  it.each([700, 2_000])('write a listing of %i keys whole, to a reader slow to read it', async (count) => {
    const clinic = await harness.newTenant();
    const em = harness.services.orm.em.fork();
    for (let index = 0; index < count; index += 1) {
      em.create(ApiKey, { id: newId(), tenantId: clinic.tenant.id, name: `key ${index} of a clinic with a great many keys`, role: 'agent', prefix: 'prm_xxxxxx', hash: randomUUID(), revokedAt: null });
    }
    await em.flush();

    // `keys list | less`, with a reader that reads nothing until the command has exited (its exit
    // code is written to a file), or for 10 s. A Node stream can't be this reader: it reads the pipe
    // into its own buffer whether paused or not.
    const folder = await mkdtemp(join(tmpdir(), 'cli-pipe-'));
    const script = `{ "$0" --import tsx src/main.ts keys list --tenant "$1"; echo $? > "$2/exit"; } | {
      tries=0; while [ ! -e "$2/exit" ] && [ $tries -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done; cat; }`;
    const { stdout } = await exec('sh', ['-c', script, process.execPath, clinic.tenant.slug, folder], {
      env: { PATH: process.env.PATH, DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'error' }, maxBuffer: 10_000_000, timeout: 60_000,
    });
    expect(await readFile(join(folder, 'exit'), 'utf8')).toBe('0\n');
    expect(stdout.split('\n').filter((line) => /\tagent\tprm_xxxxxx…\tactive\tkey \d+ of a clinic/.test(line))).toHaveLength(count);
    await rm(folder, { recursive: true });
  }, 120_000);

  it('explain their usage when called wrongly', async () => {
    const failure = await cli('keys', 'create', '--role', 'staff').catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain('--tenant is required');
    const badZone = await cli('tenants', 'create', '--slug', 'zone-test', '--name', 'X', '--time-zone', 'Mars/Olympus').catch((error: { code: number; stderr: string }) => error);
    expect((badZone as { stderr: string }).stderr).toContain('Unknown time zone');
  }, 120_000);
});
