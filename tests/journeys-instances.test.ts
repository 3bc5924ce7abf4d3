import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { ToolRun } from '../src/tools/tool-run.js';
import { API, openClinic } from './support/clinic-fixture.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { expectRefusal } from './support/notification-fixture.js';
import { getInstance, instancesOf, JOURNEYS, kneeDefinition, kneeTemplates, publishJourney, type Definition, type InstanceBody } from './journeys-fixture.js';

/** Journey instances: enrolment by trigger and by hand, one at a time per patient, the consumer, timers and staff actions. */

const clock = fixedClock(new Date());
let harness: Harness;

beforeAll(async () => {
  // 500 enrolments at once by one key: more writes than a key may make in a minute by default.
  harness = await createHarness({ clock, config: { PRM_RATE_LIMIT_KEY_WRITES: '100000', PRM_RATE_LIMIT_KEY_REQUESTS: '100000' } });
});
afterAll(() => harness.close());

type Setup = { clinic: TestTenant; patientId: string; practitionerId: string };

async function setup(): Promise<Setup> {
  const clinic = await harness.newTenant();
  const opened = await openClinic(harness, clinic, { twilio: false });
  await kneeTemplates(clinic);
  return { clinic, patientId: opened.patient.id, practitionerId: opened.practitionerId };
}

const settle = (clinic: TestTenant) => harness.services.jobs.drain({ tenantId: clinic.tenant.id });
const daysAhead = (days: number, time: string) => `${DateTime.fromJSDate(clock.now()).setZone('America/New_York').plus({ days }).toISODate()}T${time}`;

async function book(s: Setup, startAt: string, reason = 'knee-consult'): Promise<{ id: string; startAt: string }> {
  const appointment = await s.clinic.call<{ id: string; startAt: string }>('POST', `${API}/appointments`, { patientId: s.patientId, practitionerId: s.practitionerId, startAt, reason });
  await settle(s.clinic);
  return appointment;
}

type TimerRow = { id: string; status: string; payload: { token: number; stage: string; dueAt: string } };
const timers = (clinic: TestTenant): Promise<TimerRow[]> =>
  harness.services.orm.em.fork().getConnection().execute<TimerRow[]>(`select id, status, payload from job where tenant_id = ? and kind = 'journeys.timer' order by created_at`, [clinic.tenant.id]);

/** Moves the pinned clock to `at` and makes the timers due by then runnable now, as time passing would. */
async function passTime(clinic: TestTenant, at: Date): Promise<void> {
  clock.set(at);
  await harness.services.orm.em
    .fork()
    .getConnection()
    .execute(`update job set run_at = now() where tenant_id = ? and kind = 'journeys.timer' and status = 'pending' and (payload->>'dueAt')::timestamptz <= ?`, [clinic.tenant.id, at]);
  await settle(clinic);
}

describe('journey instances', () => {
  it('enrol on a matching trigger, run the first stage’s actions through the runner, and ignore other appointments', async () => {
    const s = await setup();
    const journeyId = await publishJourney(s.clinic, 'Knee', kneeDefinition());
    await book(s, daysAhead(5, '10:00'), 'annual check-up');
    expect(await instancesOf(s.clinic, journeyId)).toEqual([]);

    const appointment = await book(s, daysAhead(6, '10:00'));
    const [listed] = await instancesOf(s.clinic, journeyId);
    const instance = await getInstance(s.clinic, listed.id);
    expect(instance).toMatchObject({ status: 'active', currentStage: 'prepare', version: 1, appointmentId: appointment.id });
    expect(instance.timeline.map((step) => step.kind)).toEqual(['enrolled', 'stage_entered', 'action']);
    const action = instance.timeline[2];
    expect(action.detail).toMatchObject({ tool: 'send_notification', ok: true });
    const run = await harness.services.orm.em.fork().findOneOrFail(ToolRun, { id: action.toolRunId! }, { filters: false });
    expect(run).toMatchObject({ tool: 'send_notification', actorKind: 'journey', status: 'succeeded' });
    // The reminder is planned 48 h before the appointment.
    const [timer] = await timers(s.clinic);
    expect(timer.payload).toMatchObject({ stage: 'prepare', dueAt: new Date(new Date(appointment.startAt).getTime() - 48 * 3_600_000).toISOString() });
  });

  it('apply a doubled event once', async () => {
    const s = await setup();
    const journeyId = await publishJourney(s.clinic, 'Knee', kneeDefinition());
    await book(s, daysAhead(6, '11:00'));
    const em = harness.services.orm.em.fork();
    const [job] = await em.getConnection().execute<{ payload: unknown }[]>(`select payload from job where tenant_id = ? and kind = 'journeys.apply' and payload->>'type' = 'appointment.booked'`, [s.clinic.tenant.id]);
    await em.getConnection().execute(
      `insert into job (id, tenant_id, kind, payload, serial_key, status, attempts, max_attempts, run_at, created_at) values (gen_random_uuid(), ?, 'journeys.apply', ?, null, 'pending', 0, 5, now(), now())`,
      [s.clinic.tenant.id, JSON.stringify(job.payload)],
    );
    await settle(s.clinic);
    const instances = await instancesOf(s.clinic, journeyId);
    expect(instances).toHaveLength(1);
    expect((await getInstance(s.clinic, instances[0].id)).timeline.filter((step) => step.kind === 'action')).toHaveLength(1);
  });

  it('make one instance of 500 concurrent enrolments; the others answer 409 with it', async () => {
    const s = await setup();
    const journeyId = await publishJourney(s.clinic, 'Manual', { trigger: { kind: 'manual' }, stages: [{ key: 'wait', name: 'Wait', next: [{ to: 'end', after: { delay: '1d' } }] }, { key: 'end', name: 'End' }] });
    const responses = await Promise.all(Array.from({ length: 500 }, () => s.clinic.request('POST', `${JOURNEYS}/${journeyId}/instances`, { body: { patientId: s.patientId } })));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(499);
    const instances = await instancesOf(s.clinic, journeyId);
    expect(instances).toHaveLength(1);
    const conflict = (await responses.find((response) => response.status === 409)!.json()) as { error: { details: { instance: { id: string } } } };
    expect(conflict.error.details.instance.id).toBe(instances[0].id);
  }, 120_000);

  it('move on by timers and events, re-plan when the appointment moves, and complete', async () => {
    const s = await setup();
    const journeyId = await publishJourney(s.clinic, 'Knee', kneeDefinition());
    const appointment = await book(s, daysAhead(6, '10:00'));
    const [{ id }] = await instancesOf(s.clinic, journeyId);
    const [first] = await timers(s.clinic);

    await s.clinic.call('POST', `${API}/appointments/${appointment.id}/reschedule`, { startAt: daysAhead(8, '10:00') });
    await settle(s.clinic);
    const planned = await timers(s.clinic);
    expect(planned).toHaveLength(2);
    expect(new Date(planned[1].payload.dueAt).getTime()).toBeGreaterThan(new Date(first.payload.dueAt).getTime());

    // The first timer fires at its old time: stale, it does nothing.
    await passTime(s.clinic, new Date(first.payload.dueAt));
    expect((await getInstance(s.clinic, id)).currentStage).toBe('prepare');
    await passTime(s.clinic, new Date(planned[1].payload.dueAt));
    const reminded = await getInstance(s.clinic, id);
    expect(reminded.currentStage).toBe('remind');
    expect(reminded.timeline.filter((step) => step.kind === 'timer')).toHaveLength(1);

    await s.clinic.call('POST', `${API}/appointments/${appointment.id}/check-in`);
    await s.clinic.call('POST', `${API}/appointments/${appointment.id}/complete`);
    await settle(s.clinic);
    expect((await getInstance(s.clinic, id)).currentStage).toBe('visit');
    const surveyAt = new Date(clock.now().getTime() + 3 * 86_400_000);
    await passTime(s.clinic, surveyAt);
    expect((await getInstance(s.clinic, id)).currentStage).toBe('survey');
    await passTime(s.clinic, new Date(surveyAt.getTime() + 7 * 86_400_000));
    const done = await getInstance(s.clinic, id);
    expect(done).toMatchObject({ status: 'completed', currentStage: 'nurse' });
    const ticketStep = done.timeline.find((step) => step.kind === 'action' && step.stage === 'nurse')!;
    expect(ticketStep.detail).toMatchObject({ tool: 'create_ticket', ok: true });
    expect(done.stages.map((stage) => [stage.stage, stage.status])).toEqual([
      ['prepare', 'done'],
      ['remind', 'done'],
      ['visit', 'done'],
      ['survey', 'done'],
      ['nurse', 'done'],
    ]);
    const stats = await s.clinic.call<{ total: number; completionRate: number; byStage: unknown[] }>('GET', `${JOURNEYS}/stats?journeyId=${journeyId}`);
    expect(stats).toMatchObject({ total: 1, completionRate: 1, byStage: [{ stage: 'nurse', status: 'completed', count: 1 }] });
  });

  it('exit when the appointment is cancelled; a later timer does nothing', async () => {
    const s = await setup();
    const journeyId = await publishJourney(s.clinic, 'Knee', kneeDefinition());
    const appointment = await book(s, daysAhead(6, '12:00'));
    await s.clinic.call('POST', `${API}/appointments/${appointment.id}/cancel`, { reason: 'Feeling better' });
    await settle(s.clinic);
    const [instance] = await instancesOf(s.clinic, journeyId);
    expect(instance).toMatchObject({ status: 'exited', currentStage: 'prepare' });
    const [timer] = await timers(s.clinic);
    await passTime(s.clinic, new Date(timer.payload.dueAt));
    expect((await getInstance(s.clinic, instance.id)).timeline.at(-1)!.kind).toBe('exited');
  });

  it('exit on STOP on the journey’s channel (not another), and when the patient is deleted', async () => {
    const s = await setup();
    const manual = { trigger: { kind: 'manual' }, channel: 'sms', stages: [{ key: 'wait', name: 'Wait', next: [{ to: 'end', after: { delay: '1d' } }] }, { key: 'end', name: 'End' }] };
    const journeyId = await publishJourney(s.clinic, 'Manual', manual);
    const other = await publishJourney(s.clinic, 'Other', { ...manual, channel: 'email' });
    const enrolled = await s.clinic.call<InstanceBody>('POST', `${JOURNEYS}/${journeyId}/instances`, { patientId: s.patientId });
    const onEmail = await s.clinic.call<InstanceBody>('POST', `${JOURNEYS}/${other}/instances`, { patientId: s.patientId });
    await s.clinic.call('POST', `${API}/patients/${s.patientId}/consents/revoke`, { channel: 'sms', purpose: 'care_messages' });
    await settle(s.clinic);
    expect(await getInstance(s.clinic, enrolled.id)).toMatchObject({ status: 'exited', endReason: 'The patient revoked consent on sms.' });
    expect((await getInstance(s.clinic, onEmail.id)).status).toBe('active');
    await s.clinic.call('DELETE', `${API}/patients/${s.patientId}`);
    await settle(s.clinic);
    expect(await getInstance(s.clinic, onEmail.id)).toMatchObject({ status: 'exited', endReason: 'The patient was deleted.' });
  });

  it('pause, resume, advance and cancel by staff; re-enrol after the end', async () => {
    const s = await setup();
    const journeyId = await publishJourney(s.clinic, 'Manual', { trigger: { kind: 'manual' }, stages: [{ key: 'wait', name: 'Wait', next: [{ to: 'end', after: { delay: '1d' } }] }, { key: 'end', name: 'End', next: [{ to: 'wait', after: { delay: '1d' } }] }] });
    const enrolled = await s.clinic.call<InstanceBody>('POST', `${JOURNEYS}/${journeyId}/instances`, { patientId: s.patientId });
    const path = `${JOURNEYS}/instances/${enrolled.id}`;
    expect(await s.clinic.call('POST', `${path}/pause`)).toMatchObject({ status: 'paused' });
    await expectRefusal(await s.clinic.request('POST', `${path}/advance`), 422);
    // A timer due while paused fires on resume; the one planned before the pause is stale.
    await passTime(s.clinic, new Date(clock.now().getTime() + 86_400_000 + 1000));
    expect((await getInstance(s.clinic, enrolled.id)).currentStage).toBe('wait');
    expect(await s.clinic.call('POST', `${path}/resume`)).toMatchObject({ status: 'active' });
    await passTime(s.clinic, clock.now());
    expect((await getInstance(s.clinic, enrolled.id)).currentStage).toBe('end');
    expect(await s.clinic.call('POST', `${path}/advance`, { to: 'wait' })).toMatchObject({ currentStage: 'wait' });
    await expectRefusal(await s.clinic.request('POST', `${path}/advance`, { body: { to: 'nowhere' } }), 422, 'to');
    expect(await s.clinic.call('POST', `${path}/cancel`)).toMatchObject({ status: 'cancelled' });
    const again = await s.clinic.request('POST', `${JOURNEYS}/${journeyId}/instances`, { body: { patientId: s.patientId } });
    expect(again.status).toBe(201);
    const list = await s.clinic.call<{ items: { status: string }[] }>('GET', `${JOURNEYS}/instances?journeyId=${journeyId}&status=cancelled`);
    expect(list.items).toHaveLength(1);
  });

  it('stay on their version when v2 is published, until staff move them with a stage map (dry run first)', async () => {
    const s = await setup();
    const v1 = { trigger: { kind: 'manual' }, stages: [{ key: 'wait', name: 'Wait', next: [{ to: 'end', after: { delay: '1d' } }] }, { key: 'end', name: 'End' }] };
    const journeyId = await publishJourney(s.clinic, 'Versioned', v1);
    const enrolled = await s.clinic.call<InstanceBody>('POST', `${JOURNEYS}/${journeyId}/instances`, { patientId: s.patientId });
    const v2 = { trigger: { kind: 'manual' }, stages: [{ key: 'hold', name: 'Hold', next: [{ to: 'end', after: { delay: '2d' } }] }, { key: 'end', name: 'End' }] };
    await s.clinic.call('PUT', `${JOURNEYS}/${journeyId}/draft`, { definition: v2 });
    await s.clinic.call('POST', `${JOURNEYS}/${journeyId}/publish`);
    expect(await getInstance(s.clinic, enrolled.id)).toMatchObject({ version: 1, currentStage: 'wait' });

    await expectRefusal(await s.clinic.request('POST', `${JOURNEYS}/${journeyId}/migrate`, { body: { fromVersion: 1, stageMap: { wait: 'nowhere' } } }), 422, 'stageMap.wait');
    const dry = await s.clinic.call('POST', `${JOURNEYS}/${journeyId}/migrate`, { fromVersion: 1, stageMap: { wait: 'hold' } });
    expect(dry).toMatchObject({ dryRun: true, fromVersion: 1, toVersion: 2, moved: 1, unmapped: 0, items: [{ instanceId: enrolled.id, from: 'wait', to: 'hold', outcome: 'would_migrate' }] });
    expect(await getInstance(s.clinic, enrolled.id)).toMatchObject({ version: 1, currentStage: 'wait' });

    const moved = await s.clinic.call('POST', `${JOURNEYS}/${journeyId}/migrate`, { fromVersion: 1, stageMap: { wait: 'hold' }, dryRun: false });
    expect(moved).toMatchObject({ dryRun: false, moved: 1, items: [{ outcome: 'migrated' }] });
    expect(await getInstance(s.clinic, enrolled.id)).toMatchObject({ version: 2, currentStage: 'hold' });
    // v1's timer (1 day) is stale now; v2's (2 days) moves it on.
    const start = clock.now().getTime();
    await passTime(s.clinic, new Date(start + 86_400_000 + 1000));
    expect((await getInstance(s.clinic, enrolled.id)).currentStage).toBe('hold');
    await passTime(s.clinic, new Date(start + 2 * 86_400_000 + 1000));
    expect(await getInstance(s.clinic, enrolled.id)).toMatchObject({ status: 'completed', currentStage: 'end' });
  });

  it('enrol on every journey one event triggers at once: not again on one under way, nor on one that takes patients once', async () => {
    const s = await setup();
    const onUpdate = (reenrol: boolean): Definition => ({ trigger: { kind: 'event', event: 'patient.updated' }, reenrol, stages: [{ key: 'wait', name: 'Wait', next: [{ to: 'end', after: { delay: '1d' } }] }, { key: 'end', name: 'End' }] });
    const underWay = await publishJourney(s.clinic, 'Under way', onUpdate(true));
    const once = await publishJourney(s.clinic, 'Once', onUpdate(false));
    const fresh = await Promise.all(['Fresh 1', 'Fresh 2', 'Fresh 3'].map((name) => publishJourney(s.clinic, name, onUpdate(true))));
    const live = await s.clinic.call<InstanceBody>('POST', `${JOURNEYS}/${underWay}/instances`, { patientId: s.patientId });
    const before = await s.clinic.call<InstanceBody>('POST', `${JOURNEYS}/${once}/instances`, { patientId: s.patientId });
    await s.clinic.call('POST', `${JOURNEYS}/instances/${before.id}/cancel`);

    await s.clinic.call('PATCH', `${API}/patients/${s.patientId}`, { preferredName: 'Robbie' });
    await settle(s.clinic);
    const [kept] = await instancesOf(s.clinic, underWay);
    expect(kept.id).toBe(live.id);
    expect((await getInstance(s.clinic, live.id)).timeline.map((step) => step.kind)).toEqual(['enrolled', 'stage_entered', 'note']);
    expect((await instancesOf(s.clinic, once)).map((instance) => instance.status)).toEqual(['cancelled']);
    for (const journeyId of fresh) {
      const [instance, ...others] = await instancesOf(s.clinic, journeyId);
      expect(others).toEqual([]);
      expect((await getInstance(s.clinic, instance.id)).timeline.map((step) => step.kind)).toEqual(['enrolled', 'stage_entered']);
    }
  });

  it('make one instance per journey of events applied at the same time that enrol the patient on the same journeys', async () => {
    const s = await setup();
    const journeys = await Promise.all(Array.from({ length: 6 }, (_, index) => publishJourney(s.clinic, `On update ${index}`, { trigger: { kind: 'event', event: 'patient.updated' }, stages: [{ key: 'wait', name: 'Wait', next: [{ to: 'end', after: { delay: '1d' } }] }, { key: 'end', name: 'End' }] })));
    // Each event is a job of its own (as a booking's and a patient's events are): the worker runs them side by side.
    const em = harness.services.orm.em.fork();
    for (let index = 0; index < 8; index++) {
      const payload = { eventId: randomUUID(), type: 'patient.updated', entityType: 'patient', entityId: s.patientId, payload: { fields: ['preferredName'] } };
      await em.getConnection().execute(
        `insert into job (id, tenant_id, kind, payload, serial_key, status, attempts, max_attempts, run_at, created_at) values (gen_random_uuid(), ?, 'journeys.apply', ?, null, 'pending', 0, 5, now(), now())`,
        [s.clinic.tenant.id, JSON.stringify(payload)],
      );
    }
    await settle(s.clinic);
    for (const journeyId of journeys) expect(await instancesOf(s.clinic, journeyId)).toHaveLength(1);
    const [failed] = await em.getConnection().execute<{ count: number }[]>(`select count(*)::int as count from job where tenant_id = ? and kind = 'journeys.apply' and (status <> 'succeeded' or attempts > 1)`, [s.clinic.tenant.id]);
    expect(failed.count).toBe(0);
  });
});
