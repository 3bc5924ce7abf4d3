import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

let harness: Harness;
let clinic: TestTenant;

/** Row counts of every tenant-owned table except the run log, for this tenant. */
async function snapshot(): Promise<Record<string, number>> {
  const em = harness.services.orm.em.fork();
  const tables = Object.values(harness.services.orm.getMetadata().getAll())
    .filter((meta) => meta.properties.tenantId && meta.tableName !== 'tool_run')
    .map((meta) => meta.tableName);
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await em.getConnection().execute<{ count: string }[]>(`select count(*) from ${table} where tenant_id = ?`, [clinic.tenant.id]);
    counts[table] = Number(row.count);
  }
  return counts;
}

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
});
afterAll(() => harness.close());

const operations = () => harness.services.registry.operations;

describe('bad input on every route answers 4xx naming the field, and writes nothing', () => {
  it('covers every operation', () => {
    expect(operations().length).toBeGreaterThan(5);
  });

  it.each(['unknown field', 'malformed path id'] as const)('%s', async (kind) => {
    const before = await snapshot();
    for (const operation of operations()) {
      const hasPathId = /\{\w+\}/.test(operation.http.path);
      if (kind === 'malformed path id' && !hasPathId) continue;
      const path = `/api/v1/prm${operation.http.path.replace(/\{\w+\}/g, kind === 'malformed path id' ? 'not-a-uuid' : '00000000-0000-7000-8000-000000000000')}`;
      const takesBody = ['post', 'put', 'patch'].includes(operation.http.method);
      const response = takesBody
        ? await clinic.request(operation.http.method.toUpperCase(), path, { body: { unexpectedField: true } })
        : await clinic.request(operation.http.method.toUpperCase(), `${path}?unexpectedField=true`);
      const body = await response.json();
      expect(response.status, `${operation.name}: ${JSON.stringify(body)}`).toBe(400);
      expect(body.error.code).toBe('invalid_input');
      const expected = kind === 'unknown field' ? 'unexpectedField' : undefined;
      const paths: string[] = body.error.issues.map((issue: { path: string; message: string }) => `${issue.path} ${issue.message}`);
      if (expected) expect(paths.join('\n'), operation.name).toContain(expected);
      else expect(paths.length, operation.name).toBeGreaterThan(0);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await clinic.request('POST', '/api/v1/prm/tickets', { body: '{"subject": ' });
    expect(response.status).toBe(400);
    expect((await response.json()).error.issues[0].path).toBe('body');
  });
});
