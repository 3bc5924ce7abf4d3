import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
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
// A clinic per test: its endpoints hear only its own events.
beforeEach(async () => {
  clinic = await harness.newTenant();
  receiver.reset();
});
/** The receiver answers 200 with "ok", any other status with 5,000 bytes. */
const answerWith = (status: number) => receiver.answerWith({ status, body: status === 200 ? 'ok' : 'x'.repeat(5_000) });

const drain = () => harness.services.jobs.drain({ tenantId: clinic.tenant.id });
const endpoint = (eventTypes: string[]) => clinic.call<{ id: string; secret: string }>('POST', ENDPOINTS, { url: receiver.url, eventTypes });
const sql = <T>(text: string, params: unknown[] = []) => harness.services.orm.em.fork().execute<T[]>(text, params);
const verify = (secret: string, delivery: Received) => new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };

describe('webhook deliveries', () => {
  it('signs each wanted event (Standard Webhooks), in order per entity, with its event id as webhook-id', async () => {
    const made = await endpoint(['ticket.*']);
    const ticket = await clinic.call<{ id: string }>('POST', `${API}/tickets`, { subject: 'Broken chair', description: 'Private words' });
    await clinic.call('PATCH', `${API}/tickets/${ticket.id}`, { priority: 'high' });
    await clinic.call('PATCH', `${API}/tickets/${ticket.id}`, { status: 'in_progress' });
    await clinic.call('POST', `${API}/patients`, { givenName: 'Ana', familyName: 'Lima', dateOfBirth: '1980-01-02', sex: 'female' });
    await drain();

    const payloads = received.map((delivery) => verify(made.secret, delivery));
    expect(payloads.map((payload) => payload.type)).toEqual(['ticket.created', 'ticket.updated', 'ticket.updated']);
    expect(payloads[1].data).toEqual({ id: received[1].headers['webhook-id'], entityType: 'ticket', entityId: ticket.id, changedFields: ['priority'] });
    expect(received.map((delivery) => delivery.body).join()).not.toContain('Private words');
    // A wrong secret fails the receiver's own check.
    expect(() => verify(`whsec_${Buffer.alloc(24, 1).toString('base64')}`, received[0])).toThrow();
    const [kept] = await sql<{ count: number }>(`select count(*)::int as count from webhook_attempt where endpoint_id = ? and succeeded and response_status = 200`, [made.id]);
    expect(kept.count).toBe(3);
  });

  it('retries a failing receiver on its schedule, holding the entity’s later events back, and keeps every attempt', async () => {
    const made = await endpoint(['ticket.created', 'ticket.note_added']);
    answerWith(503);
    const ticket = await clinic.call<{ id: string }>('POST', `${API}/tickets`, { subject: 'Retry me' });
    await clinic.call('POST', `${API}/tickets/${ticket.id}/notes`, { body: 'A note' });
    await drain();
    expect(received.map((delivery) => verify(made.secret, delivery).type)).toEqual(['ticket.created']);
    const [waiting] = await sql<{ attempts: number; in_seconds: number; last_error: string }>(
      `select attempts, extract(epoch from run_at - now())::float as in_seconds, last_error from job where kind = 'webhook.deliver' and payload->>'endpointId' = ? and status = 'pending' order by created_at limit 1`,
      [made.id],
    );
    expect(waiting.attempts).toBe(1);
    expect(waiting.in_seconds).toBeGreaterThan(3);
    expect(waiting.in_seconds).toBeLessThanOrEqual(5);
    expect(waiting.last_error).toContain('answered 503');
    const [attempt] = await sql<{ succeeded: boolean; response_status: number; body_length: number }>(
      `select succeeded, response_status, length(response_body) as body_length from webhook_attempt where endpoint_id = ?`,
      [made.id],
    );
    expect(attempt).toEqual({ succeeded: false, response_status: 503, body_length: 1024 });
    const [failing] = await sql<{ failing: boolean }>(`select failing_since is not null as failing from webhook_endpoint where id = ?`, [made.id]);
    expect(failing.failing).toBe(true);

    // The retry comes due; the receiver is back: the event, then the note held behind it, once each.
    answerWith(200);
    await sql(`update job set run_at = now() where kind = 'webhook.deliver' and payload->>'endpointId' = ? and status = 'pending'`, [made.id]);
    await drain();
    const types = received.map((delivery) => verify(made.secret, delivery).type);
    expect(types).toEqual(['ticket.created', 'ticket.created', 'ticket.note_added']);
    expect(received[0].headers['webhook-id']).toBe(received[1].headers['webhook-id']);
    const [recovered] = await sql<{ failing: boolean }>(`select failing_since is not null as failing from webhook_endpoint where id = ?`, [made.id]);
    expect(recovered.failing).toBe(false);
  });

  it('turns off an endpoint failing for 5 days and says why', async () => {
    const made = await endpoint(['ticket.created']);
    await sql(`update webhook_endpoint set failing_since = now() - interval '6 days' where id = ?`, [made.id]);
    answerWith(500);
    await clinic.call('POST', `${API}/tickets`, { subject: 'Nobody listens' });
    await drain();
    const view = await clinic.call<{ enabled: boolean; disabledReason: string }>('GET', `${ENDPOINTS}/${made.id}`);
    expect(view.enabled).toBe(false);
    expect(view.disabledReason).toMatch(/failed for 5 days.*answered 500/);
    const [left] = await sql<{ count: number }>(`select count(*)::int as count from job where payload->>'endpointId' = ? and status = 'pending'`, [made.id]);
    expect(left.count).toBe(0);
  });

  it('signs with the old secret too for a day after a rotation, and sends nothing to a disabled endpoint', async () => {
    const made = await endpoint(['ticket.created']);
    const rotated = await clinic.call<{ secret: string }>('POST', `${ENDPOINTS}/${made.id}/rotate-secret`);
    await clinic.call('POST', `${API}/tickets`, { subject: 'Rotation' });
    await drain();
    expect(received).toHaveLength(1);
    expect(String(received[0].headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(rotated.secret, received[0]).type).toBe('ticket.created');
    expect(verify(made.secret, received[0]).type).toBe('ticket.created');

    await clinic.call('PATCH', `${ENDPOINTS}/${made.id}`, { enabled: false });
    await clinic.call('POST', `${API}/tickets`, { subject: 'Off' });
    await drain();
    expect(received).toHaveLength(1);
  });
});
