import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPatient, createScheduledPractitioner, searchSlots } from './appointments-fixtures.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { runWorkflow, type HttpCall } from './support/n8n-workflow.js';
import { startReceiver, type Received, type Receiver } from './support/webhook-receiver.js';

const API = '/api/v1/prm';
const ENDPOINTS = `${API}/webhooks/endpoints`;
const PUBLIC = 'https://prm.clinic.example';
let harness: Harness;
let clinic: TestTenant;

/** A loopback "n8n": keeps every delivery. */
let receiver: Receiver;
let received: Received[];

beforeAll(async () => {
  receiver = await startReceiver('/webhook/prm-appointment-completed');
  received = receiver.received;
  harness = await createHarness({ config: { PRM_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', PUBLIC_BASE_URL: PUBLIC } });
});
afterAll(async () => {
  await harness.close();
  receiver.close();
});
beforeEach(async () => {
  clinic = await harness.newTenant();
  receiver.reset();
});

const drain = () => harness.services.jobs.drain({ tenantId: clinic.tenant.id });
const sql = <T>(text: string, params: unknown[] = []) => harness.services.orm.em.fork().execute<T[]>(text, params);
const n8nEndpoint = (options: Record<string, unknown> = {}) =>
  clinic.call<{ id: string; secret: string }>('POST', ENDPOINTS, { url: receiver.url, kind: 'n8n', eventTypes: ['appointment.completed'], callbackRole: 'staff', callbackTools: ['create_ticket'], ...options });
const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
/** The service as n8n reaches it: its public base URL, answered by the app. */
const http: HttpCall = (url, init) => Promise.resolve(harness.app.request(url.replace(PUBLIC, ''), init));
const callback = (endpointId: string, body: unknown, headers: Record<string, string>, query = '') =>
  Promise.resolve(harness.app.request(`/integrations/n8n/callbacks/${endpointId}${query}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }));

async function completedAppointment(): Promise<{ appointmentId: string; patientId: string }> {
  const { practitionerId } = await createScheduledPractitioner(clinic);
  const patientId = await createPatient(harness, clinic);
  const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const [slot] = await searchSlots(clinic, { practitionerId, from: day(1), to: day(8) });
  const appointment = await clinic.call<{ id: string }>('POST', `${API}/appointments`, { patientId, practitionerId, startAt: slot.startAt });
  await clinic.call('POST', `${API}/appointments/${appointment.id}/check-in`);
  await clinic.call('POST', `${API}/appointments/${appointment.id}/complete`);
  return { appointmentId: appointment.id, patientId };
}

describe('n8n endpoints', () => {
  it('runs the example workflow: appointment completed → signed delivery → a follow-up ticket by callback, once', async () => {
    const endpoint = await n8nEndpoint();
    const { appointmentId, patientId } = await completedAppointment();
    await drain();
    expect(received).toHaveLength(1);
    const delivery = { headers: received[0].headers as Record<string, string>, body: received[0].body };
    // A Standard Webhooks delivery like any other, with the correlation id and the signed callback URL.
    const payload = new Webhook(endpoint.secret).verify(delivery.body, delivery.headers) as { type: string; data: Record<string, unknown>; correlationId: string; callbackUrl: string };
    expect(payload.type).toBe('appointment.completed');
    expect(payload.data).toMatchObject({ entityId: appointmentId, patientId });
    expect(payload.correlationId).toBe(received[0].headers['webhook-id']);
    expect(payload.callbackUrl).toMatch(new RegExp(`^${PUBLIC}/integrations/n8n/callbacks/${endpoint.id}\\?correlationId=${payload.correlationId}&expires=\\d+&signature=[0-9a-f]{64}$`));

    const exported = await readFile(new URL('../examples/n8n/appointment-follow-up.json', import.meta.url), 'utf8');
    const workflow = JSON.parse(exported.replaceAll('whsec_REPLACE_WITH_THE_ENDPOINT_SECRET', endpoint.secret));
    const first = await runWorkflow(workflow, delivery, http);
    expect(first.ran.at(-1)).toBe('Create it in PRM');
    expect(first.responses).toEqual([{ status: 200, body: expect.objectContaining({ replayed: false }) }]);
    // n8n runs it again (a retried execution): the Idempotency-Key answers with the first ticket.
    const again = await runWorkflow(workflow, delivery, http);
    expect(again.responses[0]).toEqual({ status: 200, body: expect.objectContaining({ replayed: true }) });

    const tickets = await clinic.call<{ items: { subject: string; patientId: string; category: string }[] }>('GET', `${API}/tickets?patientId=${patientId}`);
    expect(tickets.items).toEqual([expect.objectContaining({ subject: 'Follow-up call after the visit', patientId, category: 'follow_up' })]);
    const runs = await clinic.call<{ items: { tool: string; actor: { kind: string; id: string }; channel: string; requestId: string }[] }>('GET', `${API}/agents/runs?actorKind=n8n`);
    expect(runs.items.map((run) => run.tool)).toEqual(['create_ticket', 'create_ticket']);
    expect(runs.items[0]).toMatchObject({ actor: { kind: 'n8n', id: `webhook_endpoint:${endpoint.id}` }, channel: 'n8n', requestId: payload.correlationId });

    // A delivery whose body was altered on the way fails the workflow's own signature check: no callback.
    const forged = await runWorkflow(workflow, { ...delivery, body: delivery.body.replace(patientId, '00000000-0000-4000-8000-000000000000') }, http);
    expect(forged.ran).not.toContain('Follow-up ticket');
  });

  it('refuses unsigned, forged, out-of-bounds and unknown callbacks, and logs the refused tool run', async () => {
    const endpoint = await n8nEndpoint();
    const body = JSON.stringify({ tool: 'create_ticket', input: { subject: 'From n8n' } });
    expect((await callback(endpoint.id, body, {})).status).toBe(401);
    expect((await callback(endpoint.id, body, { 'x-prm-signature': sign('whsec_wrong', body) })).status).toBe(401);
    expect((await callback(endpoint.id, body.replace('From', 'Frum'), { 'x-prm-signature': sign(endpoint.secret, body) })).status).toBe(401);
    expect((await callback('00000000-0000-4000-8000-000000000000', body, { 'x-prm-signature': sign(endpoint.secret, body) })).status).toBe(404);
    expect((await callback('not-an-id', body, { 'x-prm-signature': sign(endpoint.secret, body) })).status).toBe(404);

    // Signed: runs as the endpoint, with its role and tools only.
    const ok = await callback(endpoint.id, body, { 'x-prm-signature': sign(endpoint.secret, body) });
    expect(ok.status).toBe(200);
    const other = JSON.stringify({ tool: 'list_tickets', input: {} });
    const refused = await callback(endpoint.id, other, { 'x-prm-signature': sign(endpoint.secret, other) });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.message).toContain('only create_ticket');
    const [rejected] = await sql<{ status: string; actor_kind: string }>(`select status, actor_kind from tool_run where tenant_id = ? and tool = 'list_tickets'`, [clinic.tenant.id]);
    expect(rejected).toEqual({ status: 'rejected', actor_kind: 'n8n' });

    // Bad input names the field; NUL and broken JSON are 400s, not 500s.
    const bad = JSON.stringify({ tool: 'create_ticket', input: { subject: '' } });
    const invalid = await callback(endpoint.id, bad, { 'x-prm-signature': sign(endpoint.secret, bad) });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify((await invalid.json()).error.issues)).toContain('subject');
    for (const text of ['{"tool": "create_ticket", "input": {"subject": "a\\u0000b"}}', '{"tool": ', JSON.stringify({ tool: 'create_ticket', input: {}, extra: 1 })]) {
      expect((await callback(endpoint.id, text, { 'x-prm-signature': sign(endpoint.secret, text) })).status).toBe(400);
    }

    // An altered or expired callback URL is refused, even with a signed body.
    const altered = `?correlationId=${endpoint.id}&expires=${Math.floor(Date.now() / 1000) + 3600}&signature=${'0'.repeat(64)}`;
    expect((await callback(endpoint.id, body, { 'x-prm-signature': sign(endpoint.secret, body) }, altered)).status).toBe(403);

    // Without callback rights, or turned off: refused.
    await clinic.call('PATCH', `${ENDPOINTS}/${endpoint.id}`, { callbackRole: null });
    expect((await callback(endpoint.id, body, { 'x-prm-signature': sign(endpoint.secret, body) })).status).toBe(403);
    await clinic.call('PATCH', `${ENDPOINTS}/${endpoint.id}`, { callbackRole: 'staff', enabled: false });
    expect((await callback(endpoint.id, body, { 'x-prm-signature': sign(endpoint.secret, body) })).status).toBe(403);
    const [made] = await sql<{ count: number }>(`select count(*)::int as count from ticket where tenant_id = ?`, [clinic.tenant.id]);
    expect(made.count).toBe(1);
  });

  it('gives callback rights to n8n endpoints only, naming real tools', async () => {
    const standard = await clinic.request('POST', ENDPOINTS, { body: { url: receiver.url, eventTypes: ['*'], callbackRole: 'staff' } });
    expect(standard.status).toBe(400);
    expect(JSON.stringify((await standard.json()).error.issues)).toContain('callbackRole');
    const unknownTool = await clinic.request('POST', ENDPOINTS, { body: { url: receiver.url, kind: 'n8n', eventTypes: ['*'], callbackRole: 'staff', callbackTools: ['create_ticket', 'drop_database'] } });
    expect(unknownTool.status).toBe(400);
    expect((await unknownTool.json()).error.issues).toEqual([{ path: 'callbackTools.1', message: 'no tool is named drop_database' }]);
    const admin = await clinic.request('POST', ENDPOINTS, { body: { url: receiver.url, kind: 'n8n', eventTypes: ['*'], callbackRole: 'admin' } });
    expect(admin.status).toBe(400);
    const [count] = await sql<{ count: number }>(`select count(*)::int as count from webhook_endpoint where tenant_id = ?`, [clinic.tenant.id]);
    expect(count.count).toBe(0);
  });

  it('signs n8n deliveries for its Crypto node too, with both secrets during a rotation', async () => {
    const endpoint = await n8nEndpoint({ eventTypes: ['ticket.created'] });
    const rotated = await clinic.call<{ secret: string }>('POST', `${ENDPOINTS}/${endpoint.id}/rotate-secret`);
    await clinic.call('POST', `${API}/tickets`, { subject: 'Hello n8n' });
    await drain();
    const [delivery] = received;
    expect(String(delivery.headers['x-prm-signature']).split(' ')).toEqual([sign(rotated.secret, delivery.body), sign(endpoint.secret, delivery.body)]);
    // The old secret still signs callbacks for its last day.
    const body = JSON.stringify({ tool: 'create_ticket', input: { subject: 'Signed with the old secret' } });
    expect((await callback(endpoint.id, body, { 'x-prm-signature': sign(endpoint.secret, body) })).status).toBe(200);
  });
});
