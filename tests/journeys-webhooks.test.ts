import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolRun } from '../src/tools/tool-run.js';
import { API, openClinic } from './support/clinic-fixture.js';
import { createHarness, type Harness } from './support/harness.js';
import { expectRefusal } from './support/notification-fixture.js';
import { startReceiver, type Received, type Receiver } from './support/webhook-receiver.js';
import { getInstance, JOURNEYS, publishJourney, type Definition, type InstanceBody } from './journeys-fixture.js';

/** A journey's stage emits journey.custom.<name>: a webhook endpoint subscribed to it receives it, signed, once. */

let harness: Harness;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  harness = await createHarness({ config: { PRM_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
});
afterAll(async () => {
  await harness.close();
  receiver.close();
});

const ENDPOINTS = `${API}/webhooks/endpoints`;
const verify = (secret: string, delivery: Received) => new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };

const emitting = (name: string, role?: string): Definition => ({
  trigger: { kind: 'manual' },
  ...(role ? { role } : {}),
  stages: [
    { key: 'start', name: 'Start', actions: [{ tool: 'emit_journey_event', input: { name } }], next: [{ to: 'end', after: { delay: '1d' } }] },
    { key: 'end', name: 'End' },
  ],
});

describe('a journey emitting a webhook event', () => {
  it('delivers journey.custom.<name> to the endpoints subscribed to it, signed, through the runner as the journey, once', async () => {
    const clinic = await harness.newTenant();
    const opened = await openClinic(harness, clinic, { twilio: false });
    const subscribed = await clinic.call<{ id: string; secret: string }>('POST', ENDPOINTS, { url: `${receiver.url}/custom`, eventTypes: ['journey.custom.*'] });
    const bystander = await clinic.call<{ id: string; secret: string }>('POST', ENDPOINTS, { url: `${receiver.url}/tickets`, eventTypes: ['ticket.*'] });
    const journeyId = await publishJourney(clinic, 'Knee prep signal', emitting('knee_prep_started'));

    const enrolled = await clinic.call<InstanceBody>('POST', `${JOURNEYS}/${journeyId}/instances`, { patientId: opened.patient.id });
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });

    const custom = receiver.received.filter((delivery) => delivery.path === '/hooks/custom');
    expect(custom).toHaveLength(1);
    const body = verify(subscribed.secret, custom[0]);
    expect(body).toMatchObject({
      type: 'journey.custom.knee_prep_started',
      data: { entityType: 'journey_instance', entityId: enrolled.id, journeyId, instanceId: enrolled.id, patientId: opened.patient.id },
    });
    expect(() => verify(bystander.secret, custom[0])).toThrow();
    expect(receiver.received.filter((delivery) => delivery.path === '/hooks/tickets')).toEqual([]);

    // The action ran through the runner as the journey; its event id is the delivery's webhook-id.
    const instance = await getInstance(clinic, enrolled.id);
    const action = instance.timeline.find((step) => step.kind === 'action')!;
    expect(action.detail).toMatchObject({ tool: 'emit_journey_event', ok: true });
    const run = await harness.services.orm.em.fork().findOneOrFail(ToolRun, { id: action.toolRunId! }, { filters: false });
    expect(run).toMatchObject({ tool: 'emit_journey_event', actorKind: 'journey', actorId: journeyId, status: 'succeeded' });
    expect((run.output as { eventId: string }).eventId).toBe(custom[0].headers['webhook-id']);

    // The actions' job run again (as after a crash): the runner replays the call, nothing is emitted twice.
    const em = harness.services.orm.em.fork();
    await em.getConnection().execute(
      `insert into job (id, tenant_id, kind, payload, serial_key, status, attempts, max_attempts, run_at, created_at)
       select gen_random_uuid(), tenant_id, kind, payload, serial_key, 'pending', 0, 8, now(), clock_timestamp() from job where tenant_id = ? and kind = 'journeys.act'`,
      [clinic.tenant.id],
    );
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    expect(receiver.received.filter((delivery) => delivery.path === '/hooks/custom')).toHaveLength(1);
    const [events] = await em.getConnection().execute<{ count: number }[]>(`select count(*)::int as count from domain_event where tenant_id = ? and type like 'journey.custom.%'`, [clinic.tenant.id]);
    expect(events.count).toBe(1);
    const replays = await em.find(ToolRun, { tool: 'emit_journey_event', replayOf: run.id }, { filters: false });
    expect(replays).toHaveLength(1);
  });

  it('is checked when the journey is defined: the name, and the role that may emit', async () => {
    const clinic = await harness.newTenant();
    const badName = await expectRefusal(await clinic.request('POST', JOURNEYS, { body: { name: 'Bad', definition: emitting('Knee Prep') } }), 422, 'definition.stages.0.actions.0.input.name');
    expect(badName.message).toMatch(/stage start/);
    const agentRole = await expectRefusal(await clinic.request('POST', JOURNEYS, { body: { name: 'Agent', definition: emitting('knee', 'agent') } }), 422, 'definition.stages.0.actions.0.tool');
    expect(agentRole.message).toMatch(/role \(agent\) may not call emit_journey_event/);
  });
});
