import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows } from './appointments-fixtures.js';
import { API } from './support/clinic-fixture.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen } from './support/http-server.js';
import { completeAnswers, intakeClinic, type Session, type SessionDetail, type Upserted } from './support/intake-fixture.js';

let harness: Harness;
let clinic: TestTenant;
let patientId: string;
let http: Awaited<ReturnType<typeof listen>>;
let client: Client;

beforeAll(async () => {
  harness = await createHarness();
  ({ clinic, patient: { id: patientId } } = await intakeClinic(harness));
  http = await listen(harness.app.fetch);
  client = new Client({ name: 'intake-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${clinic.keys.staff}` } } }));
});
afterAll(async () => {
  await client.close();
  await http.close();
  await harness.close();
});

type Runs = { items: { tool: string; status: string; actor: { kind: string }; channel: string; input: Record<string, unknown> }[] };

describe('intake over MCP', () => {
  it('lists the intake tools with their schemas and annotations', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    for (const name of ['create_intake_session', 'get_intake_session', 'list_intake_sessions', 'upsert_intake_records', 'delete_intake_record', 'submit_intake_session', 'get_intake_summary', 'update_intake_summary', 'review_intake_session', 'intake_stats']) {
      expect(byName.has(name), name).toBe(true);
    }
    const upsertTool = byName.get('upsert_intake_records');
    expect(upsertTool?.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: true });
    const records = upsertTool?.inputSchema.properties?.records as { maxItems: number; items: { oneOf: { properties: { kind: { const: string } } }[] } };
    expect(records.maxItems).toBe(5000);
    expect(records.items.oneOf.map((option) => option.properties.kind.const)).toContain('no_known_allergies');
    expect(byName.get('delete_intake_record')?.annotations?.destructiveHint).toBe(true);
  });

  it('runs an intake from open to submitted through the real client, each call in the run log as mcp', async () => {
    const call = async <T>(name: string, args: Record<string, unknown>) => {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      return result.structuredContent as T;
    };
    const session = await call<Session>('create_intake_session', { patientId });
    const first = await call<Upserted>('upsert_intake_records', { id: session.id, rev: 0, records: completeAnswers() });
    expect(first.session.rev).toBe(1);
    const resent = await call<Upserted>('upsert_intake_records', { id: session.id, rev: 0, records: completeAnswers() });
    expect(resent).toMatchObject({ changed: false, session: { rev: 1 } });
    expect(await call<Session>('submit_intake_session', { id: session.id, rev: 1 })).toMatchObject({ status: 'submitted', rev: 2 });
    const detail = await call<SessionDetail>('get_intake_session', { id: session.id });
    expect(detail.records).toHaveLength(4);
    expect(await countRows(harness, clinic, 'intake_record', 'session_id = ?', [session.id])).toBe(4);

    const runs = await clinic.call<Runs>('GET', `${API}/agents/runs?actorKind=mcp&limit=20`);
    const intakeRuns = runs.items.filter((run) => run.tool.includes('intake')).reverse();
    expect(intakeRuns.map((run) => [run.tool, run.status, run.channel])).toEqual([
      ['create_intake_session', 'succeeded', 'mcp'],
      ['upsert_intake_records', 'succeeded', 'mcp'],
      ['upsert_intake_records', 'succeeded', 'mcp'],
      ['submit_intake_session', 'succeeded', 'mcp'],
      ['get_intake_session', 'succeeded', 'mcp'],
    ]);
    expect(intakeRuns[1].input).toMatchObject({ id: session.id, records: expect.any(Array) });
  });

  it('returns a bad record as a tool error naming the record and the field, stores nothing, and logs it as rejected', async () => {
    const session = (await client.callTool({ name: 'create_intake_session', arguments: { patientId } })).structuredContent as Session;
    const records = [...completeAnswers(), { clientItemId: 'bad', kind: 'symptom', data: { name: 'pain', severity: 11 } }];
    const result = await client.callTool({ name: 'upsert_intake_records', arguments: { id: session.id, records } });
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0].text).toMatch(/^invalid_input: [\s\S]*\n- records\.4\.data\.severity: /);
    expect(await countRows(harness, clinic, 'intake_record', 'session_id = ?', [session.id])).toBe(0);
    const stale = await client.callTool({ name: 'submit_intake_session', arguments: { id: session.id, rev: 3 } });
    expect((stale.content as { text: string }[])[0].text).toMatch(/^conflict: /);
    const rejected = await clinic.call<Runs>('GET', `${API}/agents/runs?tool=upsert_intake_records&status=rejected&actorKind=mcp`);
    expect(rejected.items.some((run) => (run.input.records as unknown[] | undefined)?.length === 5)).toBe(true);
  });
});
