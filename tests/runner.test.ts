import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ticket } from '../src/modules/tickets/entities.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

let harness: Harness;
let clinic: TestTenant;

type Run = { id: string; tool: string; status: string; actor: { kind: string }; channel: string; error: { code: string } | null; input: unknown; output: unknown; durationMs: number; replayOf: string | null };

const getRun = (id: string | null) => clinic.call<Run>('GET', `/api/v1/prm/agents/runs/${id}`);
const ticketCount = () => harness.services.orm.em.fork().count(Ticket, { tenantId: clinic.tenant.id }, { filters: false });

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
});
afterAll(() => harness.close());

describe('the runner logs every call', () => {
  it('logs a success in the same transaction as the change', async () => {
    const response = await clinic.request('POST', '/api/v1/prm/tickets', { body: { subject: 'Logged' } });
    expect(response.status).toBe(201);
    const ticket = await response.json();
    const run = await getRun(response.headers.get('x-tool-run-id'));
    expect(run).toMatchObject({ tool: 'create_ticket', status: 'succeeded', actor: { kind: 'staff' }, channel: 'rest', error: null });
    expect(run.output).toMatchObject({ id: ticket.id });
    expect(run.durationMs).toBeGreaterThan(0);
  });

  it('logs bad input as rejected, naming the field, and changes nothing', async () => {
    const before = await ticketCount();
    const response = await clinic.request('POST', '/api/v1/prm/tickets', { body: { subject: 'x', priority: 'asap' } });
    expect(response.status).toBe(400);
    expect((await response.json()).error.issues[0].path).toBe('priority');
    const run = await getRun(response.headers.get('x-tool-run-id'));
    expect(run).toMatchObject({ status: 'rejected', error: { code: 'invalid_input' }, input: { subject: 'x', priority: 'asap' } });
    expect(await ticketCount()).toBe(before);
  });

  it('logs a missing right as rejected', async () => {
    const response = await clinic.request('GET', '/api/v1/prm/agents/runs', { key: clinic.keys.agent });
    expect(response.status).toBe(403);
    const run = await getRun(response.headers.get('x-tool-run-id'));
    expect(run).toMatchObject({ tool: 'list_tool_runs', status: 'rejected', actor: { kind: 'agent' }, error: { code: 'forbidden' } });
  });

  it('logs an operation that throws as failed', async () => {
    const response = await clinic.request('GET', '/api/v1/prm/tickets/00000000-0000-7000-8000-000000000000');
    expect(response.status).toBe(404);
    const run = await getRun(response.headers.get('x-tool-run-id'));
    expect(run).toMatchObject({ tool: 'get_ticket', status: 'failed', error: { code: 'not_found' } });
  });

  it('logs an unknown tool as rejected', async () => {
    const response = await clinic.request('POST', '/api/v1/prm/agents/run', { body: { tool: 'drop_everything', input: {} } });
    expect(response.status).toBe(404);
    const run = await getRun(response.headers.get('x-tool-run-id'));
    expect(run).toMatchObject({ tool: 'drop_everything', status: 'rejected', error: { code: 'not_found' } });
  });

  it('refuses requests without a valid key with 401, before any tool runs', async () => {
    expect((await clinic.request('GET', '/api/v1/prm/tickets', { key: null })).status).toBe(401);
    expect((await clinic.request('GET', '/api/v1/prm/tickets', { key: 'prm_not-a-real-key-at-all-000000' })).status).toBe(401);
  });
});

describe('idempotency keys', () => {
  it('replays the first result and runs nothing again', async () => {
    const before = await ticketCount();
    const headers = { 'idempotency-key': 'replay-1' };
    const first = await clinic.request('POST', '/api/v1/prm/tickets', { body: { subject: 'Once' }, headers });
    const second = await clinic.request('POST', '/api/v1/prm/tickets', { body: { subject: 'Once' }, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await second.json()).id).toBe((await first.json()).id);
    expect(await ticketCount()).toBe(before + 1);
    const replay = await getRun(second.headers.get('x-tool-run-id'));
    expect(replay.replayOf).toBe(first.headers.get('x-tool-run-id'));
  });

  it('refuses the same key with a different input', async () => {
    const headers = { 'idempotency-key': 'replay-2' };
    await clinic.request('POST', '/api/v1/prm/tickets', { body: { subject: 'A' }, headers });
    const other = await clinic.request('POST', '/api/v1/prm/tickets', { body: { subject: 'B' }, headers });
    expect(other.status).toBe(409);
  });

  it('runs once when the same key arrives concurrently', async () => {
    const before = await ticketCount();
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => clinic.request('POST', '/api/v1/prm/tickets', { body: { subject: 'Concurrent' }, headers: { 'idempotency-key': 'replay-3' } })),
    );
    const bodies = await Promise.all(responses.map((response) => response.json()));
    expect(responses.map((response) => response.status)).toEqual(Array(6).fill(201));
    expect(new Set(bodies.map((body) => body.id)).size).toBe(1);
    expect(await ticketCount()).toBe(before + 1);
  });

  it('keeps keys apart per tenant', async () => {
    const other = await harness.newTenant();
    const headers = { 'idempotency-key': 'shared-key' };
    const mine = await clinic.request('POST', '/api/v1/prm/tickets', { body: { subject: 'Mine' }, headers });
    const theirs = await other.request('POST', '/api/v1/prm/tickets', { body: { subject: 'Mine' }, headers });
    expect((await theirs.json()).id).not.toBe((await mine.json()).id);
  });
});

describe('the logged output', () => {
  it('is kept whole when small, and only its size when very large', async () => {
    for (let index = 0; index < 4; index += 1) await clinic.call('POST', '/api/v1/prm/tickets', { subject: `Bulk ${index} ${'x'.repeat(190)}`, description: 'y'.repeat(9_000) });
    const small = await clinic.request('GET', '/api/v1/prm/tickets?limit=1');
    const large = await clinic.request('GET', '/api/v1/prm/tickets?limit=200');
    expect((await getRun(small.headers.get('x-tool-run-id'))).output).toMatchObject({ items: [expect.any(Object)] });
    expect((await getRun(large.headers.get('x-tool-run-id'))).output).toMatchObject({ truncated: true, bytes: expect.any(Number) });
    expect((await large.json()).items.length).toBeGreaterThanOrEqual(3);
  });
});
