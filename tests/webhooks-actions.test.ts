import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen } from './support/http-server.js';
import { startReceiver, type Received, type Receiver } from './support/webhook-receiver.js';

const API = '/api/v1/prm';
const ENDPOINTS = `${API}/webhooks/endpoints`;
let harness: Harness;
let clinic: TestTenant;

let receiver: Receiver;
let received: Received[];

beforeAll(async () => {
  receiver = await startReceiver();
  received = receiver.received;
  harness = await createHarness({ config: { PRM_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
});
afterAll(async () => {
  await harness.close();
  receiver.close();
});
beforeEach(async () => {
  clinic = await harness.newTenant();
  receiver.reset();
});
const answerWith = (status: number) => receiver.answerWith({ status, body: status === 200 ? 'ok' : 'down for maintenance' });

type Attempt = { eventId: string; attempt: number; succeeded: boolean; responseStatus: number | null; responseBody: string | null; error: string | null; durationMs: number };
const drain = (on: Harness = harness) => on.services.jobs.drain({ tenantId: clinic.tenant.id });
const endpoint = (eventTypes: string[]) => clinic.call<{ id: string; secret: string }>('POST', ENDPOINTS, { url: receiver.url, eventTypes });
const attempts = (id: string, query = '') => clinic.call<{ items: Attempt[]; nextCursor: string | null }>('GET', `${ENDPOINTS}/${id}/attempts${query}`);
const sql = <T>(text: string, params: unknown[] = []) => harness.services.orm.em.fork().execute<T[]>(text, params);
const types = (secret: string) => received.map((delivery) => (new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as { type: string }).type);

describe('webhook delivery actions', () => {
  it('sends a test event to one endpoint, turned off or not, and shows its attempt', async () => {
    const tested = await endpoint(['ticket.created']);
    const bystander = await endpoint(['webhook.*']); // would match webhook.test, were it a subscription's
    await clinic.call('PATCH', `${ENDPOINTS}/${tested.id}`, { enabled: false });
    const { eventId } = await clinic.call<{ eventId: string }>('POST', `${ENDPOINTS}/${tested.id}/test`);
    await drain();
    expect(types(tested.secret)).toEqual(['webhook.test']);
    expect(received[0].headers['webhook-id']).toBe(eventId);
    expect((await attempts(tested.id, `?eventId=${eventId}`)).items).toEqual([expect.objectContaining({ eventId, attempt: 1, succeeded: true, responseStatus: 200, responseBody: 'ok' })]);
    expect((await attempts(bystander.id)).items).toEqual([]);

    // A failing test is not retried and does not count against the endpoint.
    answerWith(500);
    await clinic.call('POST', `${ENDPOINTS}/${tested.id}/test`);
    await drain();
    const [state] = await sql<{ failing: boolean; pending: number }>(
      `select failing_since is not null as failing, (select count(*)::int from job where payload->>'endpointId' = ? and status = 'pending') as pending from webhook_endpoint where id = ?`,
      [tested.id, tested.id],
    );
    expect(state).toEqual({ failing: false, pending: 0 });
    // Only an admin may test, and only its own clinic's endpoints.
    expect((await clinic.request('POST', `${ENDPOINTS}/${tested.id}/test`, { key: clinic.keys.staff })).status).toBe(403);
    const other = await harness.newTenant();
    expect((await other.request('POST', `${ENDPOINTS}/${tested.id}/test`)).status).toBe(404);
  });

  it('lists attempts newest first, by page and outcome, and retries failed deliveries now', async () => {
    const made = await endpoint(['ticket.created']);
    answerWith(503);
    const first = await clinic.call<{ id: string }>('POST', `${API}/tickets`, { subject: 'One' });
    const second = await clinic.call<{ id: string }>('POST', `${API}/tickets`, { subject: 'Two' });
    await drain();
    const failed = await attempts(made.id, '?succeeded=false&limit=1');
    expect(failed.items).toEqual([expect.objectContaining({ attempt: 1, succeeded: false, responseStatus: 503, responseBody: 'down for maintenance', error: 'the endpoint answered 503' })]);
    const next = await attempts(made.id, `?succeeded=false&limit=1&cursor=${failed.nextCursor}`);
    expect(next.items).toHaveLength(1);
    expect(next.nextCursor).toBeNull();
    expect(new Set([failed.items[0].eventId, next.items[0].eventId]).size).toBe(2);

    // The retries wait 5 s; "retry now" sends both at once.
    answerWith(200);
    const retried = await clinic.call<{ eventIds: string[] }>('POST', `${ENDPOINTS}/${made.id}/retry`, {});
    expect(retried.eventIds).toHaveLength(2);
    await drain();
    expect(types(made.secret)).toEqual(['ticket.created', 'ticket.created', 'ticket.created', 'ticket.created']);
    expect((await attempts(made.id, '?succeeded=true')).items.map((attempt) => attempt.attempt)).toEqual([2, 2]);
    // Nothing failed is left: a second retry finds nothing.
    expect((await clinic.call<{ eventIds: string[] }>('POST', `${ENDPOINTS}/${made.id}/retry`, {})).eventIds).toEqual([]);

    // One delivered event, sent again on request, with the same webhook-id.
    const [event] = await sql<{ id: string }>(`select id from domain_event where entity_id = ? and type = 'ticket.created'`, [first.id]);
    await clinic.call('POST', `${ENDPOINTS}/${made.id}/retry`, { eventId: event.id });
    await drain();
    expect(received.at(-1)?.headers['webhook-id']).toBe(event.id);
    expect(second.id).not.toBe(first.id);

    // Unknown event: 404; turned off: 409; bad input names the field; nothing changed.
    expect((await clinic.request('POST', `${ENDPOINTS}/${made.id}/retry`, { body: { eventId: '00000000-0000-4000-8000-000000000000' } })).status).toBe(404);
    const badSince = await clinic.request('POST', `${ENDPOINTS}/${made.id}/retry`, { body: { since: 'yesterday' } });
    expect(badSince.status).toBe(400);
    expect(JSON.stringify((await badSince.json()).error.issues)).toContain('since');
    await clinic.call('PATCH', `${ENDPOINTS}/${made.id}`, { enabled: false });
    expect((await clinic.request('POST', `${ENDPOINTS}/${made.id}/retry`, { body: {} })).status).toBe(409);
    const [jobs] = await sql<{ count: number }>(`select count(*)::int as count from job where payload->>'endpointId' = ? and status = 'pending'`, [made.id]);
    expect(jobs.count).toBe(0);
  });

  it('cuts a receiver that does not answer at 10 s, and retries it', async () => {
    const made = await endpoint(['ticket.created']);
    receiver.answerWith('hang');
    await clinic.call('POST', `${API}/tickets`, { subject: 'Anyone there?' });
    await drain();
    const [attempt] = (await attempts(made.id)).items;
    expect(attempt).toMatchObject({ succeeded: false, responseStatus: null, error: 'no answer within 10 s' });
    expect(attempt.durationMs).toBeGreaterThanOrEqual(10_000);
    expect(attempt.durationMs).toBeLessThan(12_000);
    const [waiting] = await sql<{ count: number }>(`select count(*)::int as count from job where payload->>'endpointId' = ? and status = 'pending' and run_at > now()`, [made.id]);
    expect(waiting.count).toBe(1);
  }, 20_000);

  it('loses no delivery when the service stops mid-retry or dies mid-delivery', async () => {
    const made = await endpoint(['ticket.created']);
    answerWith(503);
    await clinic.call('POST', `${API}/tickets`, { subject: 'Before the restart' });
    await drain();
    // A process that died while delivering: its job is still running, its lock expired.
    const dying = await clinic.call<{ id: string }>('POST', `${API}/tickets`, { subject: 'Mid-delivery' });
    await sql(
      `update job set status = 'running', attempts = 1, locked_until = now() - interval '1 second' where kind = 'webhook.deliver' and payload->>'endpointId' = ? and serial_key like ?`,
      [made.id, `%:${dying.id}`],
    );

    // A new service on the same database: the waiting retry and the orphaned delivery both arrive.
    answerWith(200);
    const restarted = await createHarness({ config: { PRM_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
    try {
      await sql(`update job set run_at = now() where kind = 'webhook.deliver' and payload->>'endpointId' = ? and status = 'pending'`, [made.id]);
      await drain(restarted);
    } finally {
      await restarted.close();
    }
    const delivered = await sql<{ count: number }>(`select count(distinct event_id)::int as count from webhook_attempt where endpoint_id = ? and succeeded`, [made.id]);
    expect(delivered[0].count).toBe(2);
    const [left] = await sql<{ count: number }>(`select count(*)::int as count from job where payload->>'endpointId' = ? and status in ('pending', 'running')`, [made.id]);
    expect(left.count).toBe(0);
  });

  it('works over MCP too: an assistant with an admin key subscribes, tests and reads attempts; the secret stays out of the run log', async () => {
    const server = await listen(harness.app.fetch);
    const client = new Client({ name: 'test', version: '1.0.0' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${clinic.keys.admin}` } } }));
      const created = (await client.callTool({ name: 'create_webhook_endpoint', arguments: { url: receiver.url, eventTypes: ['ticket.*'] } })).structuredContent as { id: string; secret: string };
      expect(created.secret).toMatch(/^whsec_/);
      const { eventId } = (await client.callTool({ name: 'send_test_webhook', arguments: { id: created.id } })).structuredContent as { eventId: string };
      await drain();
      expect(types(created.secret)).toEqual(['webhook.test']);
      const listed = (await client.callTool({ name: 'list_webhook_attempts', arguments: { id: created.id } })).structuredContent as { items: Attempt[] };
      expect(listed.items).toEqual([expect.objectContaining({ eventId, succeeded: true })]);
      const refused = await client.callTool({ name: 'retry_webhook_deliveries', arguments: { id: created.id, since: 'soon' } });
      expect(refused.isError).toBe(true);
    } finally {
      await client.close();
      await server.close();
    }
    const runs = await clinic.call<{ items: { tool: string; channel: string; output: unknown }[] }>('GET', `${API}/agents/runs?tool=create_webhook_endpoint`);
    expect(runs.items).toEqual([expect.objectContaining({ channel: 'mcp' })]);
    expect(JSON.stringify(runs.items[0].output)).not.toContain('whsec_');
  });
});
