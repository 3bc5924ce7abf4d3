import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

let harness: Harness;
let clinic: TestTenant;

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
});
afterAll(() => harness.close());

// Rows of the event outbox, already processed (nothing acts on them), told apart by their type.
const insertTagged = (tag: string) => ({
  sql: `insert into domain_event (id, tenant_id, type, entity_type, entity_id, payload, occurred_at, processed_at) values (?, ?, ?, 'test', ?, '{}', now(), now())`,
  params: [randomUUID(), clinic.tenant.id, tag, randomUUID()],
});
const rowsTagged = async (tag: string) => (await harness.services.sql.query<{ n: number }>({ sql: 'select count(*)::int as n from domain_event where type = ?', params: [tag] }))[0].n;

describe('the hot path’s SQL (src/db/sql.ts)', () => {
  it('binds values, and leaves a question mark inside a quoted literal or identifier alone', async () => {
    const [row] = await harness.services.sql.query<{ mark: string; quoted: string; value: string; tenant: string }>({
      sql: `select '?' as mark, 1 as "who?", ?::text as value, ?::uuid::text as tenant, 'it''s ?' as quoted`,
      params: [`it's a "value" ?`, clinic.tenant.id],
    });
    expect(row).toEqual({ mark: '?', 'who?': 1, value: `it's a "value" ?`, tenant: clinic.tenant.id, quoted: `it's ?` });
  });

  it('commits a transaction’s statements together, and keeps none when it throws', async () => {
    const kept = `kept-${randomUUID()}`;
    await harness.services.sql.transaction(async (sql) => {
      expect(sql.inTransaction).toBe(true);
      await sql.query(insertTagged(kept));
      await sql.query(insertTagged(kept));
    });
    expect(await rowsTagged(kept)).toBe(2);

    const dropped = `dropped-${randomUUID()}`;
    await expect(
      harness.services.sql.transaction(async (sql) => {
        await sql.query(insertTagged(dropped));
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await rowsTagged(dropped)).toBe(0);
  });

  it('does not commit a transaction whose failed statement was caught inside it', async () => {
    const tag = `caught-${randomUUID()}`;
    await expect(
      harness.services.sql.transaction(async (sql) => {
        await sql.query(insertTagged(tag));
        await sql.query({ sql: 'select 1 / 0', params: [] }).catch(() => undefined);
      }),
    ).rejects.toThrow('rolled back');
    expect(await rowsTagged(tag)).toBe(0);
  });

  it('prepares each statement once per connection, on a server as on PGlite', async () => {
    const statement = { sql: 'select ?::int + 1 as next', params: [41] };
    const prepared = await harness.services.sql.transaction(async (sql) => {
      expect(await sql.query(statement)).toEqual([{ next: 42 }]);
      expect(await sql.query({ ...statement, params: [1] })).toEqual([{ next: 2 }]);
      return sql.query<{ statement: string }>({ sql: `select statement from pg_prepared_statements where statement like 'select $1::int + 1%'`, params: [] });
    });
    expect(prepared.map((row) => row.statement)).toEqual(['select $1::int + 1 as next']);
  });
});
