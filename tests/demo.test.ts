import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { prepareDemo } from '../src/demo/prepare.js';
import { seedDemoData } from '../src/demo/seed.js';
import { Tenant } from '../src/modules/tenancy/entities.js';
import { tenantInfo } from '../src/modules/tenancy/service.js';
import { createHarness, type Harness } from './support/harness.js';

let harness: Harness;
let dataDir: string;

const count = async (table: string, tenantId: string) => {
  const [row] = await harness.services.orm.em.fork().getConnection().execute<{ count: string }[]>(`select count(*) from ${table} where tenant_id = ?`, [tenantId]);
  return Number(row.count);
};

beforeAll(async () => {
  harness = await createHarness();
  dataDir = await mkdtemp(join(tmpdir(), 'prm-demo-'));
});
afterAll(async () => {
  await harness.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the demo clinic', () => {
  it('is created and filled on first start, with a working admin key kept in the data folder', async () => {
    const services = { ...harness.services, config: loadConfig({ PRM_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }) };
    const demo = await prepareDemo(services);
    expect(demo?.tenantSlug).toBe('demo');
    const adminKey = demo?.newAdminKey;
    expect(adminKey).toMatch(/^prm_/);
    expect(demo?.adminKeyFile).toBe(join(dataDir, 'admin-api-key'));
    expect((await readFile(join(dataDir, 'admin-api-key'), 'utf8')).trim()).toBe(adminKey);

    const response = await harness.app.request('/api/v1/prm/practitioners', { headers: { authorization: `Bearer ${adminKey}` } });
    const { items } = (await response.json()) as { items: { name: string; weeklySchedule?: unknown[] }[] };
    expect(items.map((practitioner) => practitioner.name).sort()).toEqual(['Dr. Amelia Hart', 'Dr. Rafael Ortiz', 'Priya Nair, NP']);

    const tenant = await harness.services.orm.em.fork().findOneOrFail(Tenant, { slug: 'demo' });
    expect(await count('patient', tenant.id)).toBe(20);
    expect(await count('schedule_rule', tenant.id)).toBeGreaterThanOrEqual(12);
    expect(await count('appointment', tenant.id)).toBeGreaterThanOrEqual(5);
    expect(await count('ticket', tenant.id)).toBe(3);
    expect(await count('journey', tenant.id)).toBe(1);
    expect(await count('knowledge_source', tenant.id)).toBe(4);
    const parking = await harness.app.request('/api/v1/prm/vector/search/knowledge', {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'where do I park?' }),
    });
    expect(((await parking.json()) as { results: { title: string }[] }).results[0].title).toBe('Parking and getting here');

    // A second start finds it ready: the same key, kept, not shown again; nothing doubled.
    const again = await prepareDemo(services);
    expect(again).toEqual({ tenantSlug: 'demo', tenantName: demo?.tenantName, adminKeyFile: join(dataDir, 'admin-api-key') });
    expect((await readFile(join(dataDir, 'admin-api-key'), 'utf8')).trim()).toBe(adminKey);
    expect(await count('patient', tenant.id)).toBe(20);
  });

  it('resumes an interrupted seed without doubling anything', async () => {
    const tenant = await harness.services.orm.em.fork().findOneOrFail(Tenant, { slug: 'demo' });
    await seedDemoData(harness.services, tenantInfo(tenant));
    expect(await count('patient', tenant.id)).toBe(20);
    expect(await count('ticket', tenant.id)).toBe(3);
    expect(await count('knowledge_source', tenant.id)).toBe(4);
  });

  it('ensures PRM_ADMIN_API_KEY as an admin key of the demo clinic', async () => {
    const key = 'prm_test-admin-key-000000000000000';
    const services = { ...harness.services, config: loadConfig({ PRM_DATA_DIR: dataDir, PRM_ADMIN_API_KEY: key, LOG_LEVEL: 'silent' }) };
    // Never shown: whoever set PRM_ADMIN_API_KEY has it.
    expect(await prepareDemo(services)).toEqual({ tenantSlug: 'demo', tenantName: expect.any(String) });
    const response = await harness.app.request('/api/v1/prm/tickets', { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
  });
});
