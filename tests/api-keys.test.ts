import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../src/modules/tenancy/api-keys.js';
import { DirectSql } from '../src/db/sql.js';
import type { Statement } from '../src/db/statement.js';
import { createApiKey, ensureApiKey, revokeApiKey } from '../src/modules/tenancy/service.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

let harness: Harness;
let clinic: TestTenant;

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
});
afterAll(() => harness.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the API key cache', () => {
  it('answers a live key from memory until its recheck, then sees the revocation', async () => {
    const keys = new ApiKeys(harness.services.sql, 300);
    const { key, view } = await createApiKey(harness.services.orm.em.fork(), { tenantId: clinic.tenant.id, name: 'cached', role: 'staff' });
    const found = await keys.find(key);
    expect(found).toMatchObject({ keyId: view.id, role: 'staff', tenant: { id: clinic.tenant.id, timeZone: clinic.tenant.timeZone } });

    await revokeApiKey(harness.services.orm.em.fork(), view.id);
    expect(await keys.find(key)).toEqual(found); // remembered: no lookup within the recheck time
    await sleep(350);
    expect(await keys.find(key)).toBeUndefined();
  });

  it('never remembers an unknown key: it works as soon as it exists', async () => {
    const keys = new ApiKeys(harness.services.sql);
    const key = `prm_${randomBytes(24).toString('base64url')}`;
    expect(await keys.find(key)).toBeUndefined();
    await ensureApiKey(harness.services.orm.em.fork(), { tenantId: clinic.tenant.id, key, name: 'late', role: 'agent' });
    expect(await keys.find(key)).toMatchObject({ role: 'agent', tenant: { id: clinic.tenant.id } });
  });

  it('shares one lookup among concurrent requests with the same key', async () => {
    let queries = 0;
    class CountingSql extends DirectSql {
      override query<T>(statement: Statement): Promise<T[]> {
        queries += 1;
        return super.query<T>(statement);
      }
    }
    const keys = new ApiKeys(new CountingSql(harness.services.orm));
    const { key } = await createApiKey(harness.services.orm.em.fork(), { tenantId: clinic.tenant.id, name: 'shared', role: 'admin' });
    const found = await Promise.all(Array.from({ length: 20 }, () => keys.find(key)));
    expect(found.map((one) => one?.role)).toEqual(Array(20).fill('admin'));
    expect(queries).toBe(1);
  });

  it('refuses text that cannot be a key without a lookup', async () => {
    expect(await new ApiKeys(harness.services.sql).find('short')).toBeUndefined();
  });
});
