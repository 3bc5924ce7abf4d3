import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

let harness: Harness;
let clinic: TestTenant;

type Page = { items: { id: string; tool: string; status: string; actor: { kind: string }; startedAt: string }[]; nextCursor: string | null };

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
  for (let index = 0; index < 5; index += 1) await clinic.call('POST', '/api/v1/prm/tickets', { subject: `Ticket ${index}` });
  await clinic.request('POST', '/api/v1/prm/tickets', { body: { subject: '' } }); // rejected
  await clinic.request('GET', '/api/v1/prm/tickets/00000000-0000-7000-8000-000000000000'); // failed
  await clinic.request('POST', '/api/v1/prm/tickets', { body: { subject: 'By the agent key' }, key: clinic.keys.agent });
});
afterAll(() => harness.close());

describe('the run log over REST', () => {
  it('lists runs newest first with keyset pagination that neither skips nor repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await clinic.call<Page>('GET', `/api/v1/prm/agents/runs?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((item) => item.id));
      const times = page.items.map((item) => item.startedAt);
      expect([...times].sort().reverse()).toEqual(times);
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(8);
  });

  it('filters by tool, status, actor kind and time', async () => {
    const created = await clinic.call<Page>('GET', '/api/v1/prm/agents/runs?tool=create_ticket&status=succeeded');
    expect(created.items.length).toBe(6);
    expect(created.items.every((item) => item.tool === 'create_ticket' && item.status === 'succeeded')).toBe(true);
    const rejected = await clinic.call<Page>('GET', '/api/v1/prm/agents/runs?status=rejected');
    expect(rejected.items.map((item) => item.tool)).toContain('create_ticket');
    const byAgent = await clinic.call<Page>('GET', '/api/v1/prm/agents/runs?actorKind=agent');
    expect(byAgent.items.length).toBe(1);
    const future = await clinic.call<Page>('GET', `/api/v1/prm/agents/runs?since=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(future.items).toEqual([]);
    const past = await clinic.call<Page>('GET', `/api/v1/prm/agents/runs?until=${new Date(Date.now() - 3_600_000).toISOString()}`);
    expect(past.items).toEqual([]);
  });

  it('counts runs by tool and status with p50/p95 durations', async () => {
    const stats = await clinic.call<{ total: number; byStatus: Record<string, number>; byTool: { tool: string; status: string; count: number; p50Ms: number; p95Ms: number }[] }>(
      'GET',
      '/api/v1/prm/agents/stats',
    );
    const created = stats.byTool.find((row) => row.tool === 'create_ticket' && row.status === 'succeeded');
    expect(created?.count).toBe(6);
    expect(created?.p95Ms).toBeGreaterThanOrEqual(created?.p50Ms ?? Infinity);
    expect(stats.byStatus.failed).toBeGreaterThanOrEqual(1);
    expect(stats.total).toBe(stats.byTool.reduce((sum, row) => sum + row.count, 0));
  });

  it('lists the tools with their JSON Schemas', async () => {
    const { tools } = await clinic.call<{ tools: { name: string; inputSchema: { properties?: Record<string, unknown> }; http: { path: string } }[] }>('GET', '/api/v1/prm/agents/tools');
    const create = tools.find((tool) => tool.name === 'create_ticket');
    expect(create?.inputSchema.properties).toHaveProperty('subject');
    expect(create?.http.path).toBe('/api/v1/prm/tickets');
  });

  it('runs a tool by name with POST /agents/run', async () => {
    const response = await clinic.call<{ runId: string; output: { subject: string } }>('POST', '/api/v1/prm/agents/run', { tool: 'create_ticket', input: { subject: 'Run by name' } });
    expect(response.output.subject).toBe('Run by name');
    const run = await clinic.call<{ tool: string; status: string }>('GET', `/api/v1/prm/agents/runs/${response.runId}`);
    expect(run).toMatchObject({ tool: 'create_ticket', status: 'succeeded' });
  });

  it('shows nothing of another tenant', async () => {
    const other = await harness.newTenant();
    const mine = await clinic.call<Page>('GET', '/api/v1/prm/agents/runs?limit=1');
    const theirs = await other.call<Page>('GET', '/api/v1/prm/agents/runs?limit=200');
    expect(theirs.items.map((item) => item.id)).not.toContain(mine.items[0].id);
    expect((await other.request('GET', `/api/v1/prm/agents/runs/${mine.items[0].id}`)).status).toBe(404);
    const stats = await other.call<{ byTool: { tool: string }[] }>('GET', '/api/v1/prm/agents/stats');
    expect(stats.byTool.some((row) => row.tool === 'create_ticket')).toBe(false);
  });

  it('is for staff: an agent key is refused', async () => {
    expect((await clinic.request('GET', '/api/v1/prm/agents/stats', { key: clinic.keys.agent })).status).toBe(403);
    expect((await clinic.request('GET', '/api/v1/prm/agents/runs', { key: clinic.keys.staff })).status).toBe(200);
  });
});
