import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import type { Caller } from '../src/context.js';
import { seedDemoJourney, type SeedRun } from '../src/demo/journey.js';
import { runOperation } from '../src/tools/runner.js';
import { API, openClinic } from './support/clinic-fixture.js';
import { createHarness, type Harness } from './support/harness.js';
import { grantConsent } from './support/notification-fixture.js';
import { getInstance, instancesOf, JOURNEYS } from './journeys-fixture.js';

/** The demo clinic's care journey, driven with a pinned clock from booking to completion. */

const clock = fixedClock(new Date('2027-03-01T15:00:00Z'));
let harness: Harness;

beforeAll(async () => {
  harness = await createHarness({ clock });
});
afterAll(() => harness.close());

type PlanBody = { journeys: { journey: string; stage: string | null; next: { stage: string; at: string | null }[] }[] };

describe('the demo care journey', () => {
  it('sends instructions at booking, a reminder the day before, and a follow-up two days after the visit', async () => {
    const clinic = await harness.newTenant();
    const opened = await openClinic(harness, clinic, { twilio: false });
    await grantConsent(clinic, opened.patient.id, 'sms');
    const seedCaller: Caller = { tenant: clinic.tenant, actor: { kind: 'system', id: 'seed', role: 'system' }, channel: 'cli' };
    const run: SeedRun = async <Output,>(key: string, tool: string, input: Record<string, unknown>) => {
      const outcome = await runOperation(harness.services, seedCaller, { tool, input, idempotencyKey: `test-seed:${key}` });
      if (!outcome.ok) throw new Error(`${tool}: ${outcome.error.message}`);
      return outcome.output as Output;
    };
    const journeyId = await seedDemoJourney(run);
    const settle = () => harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    const passTime = async (at: Date) => {
      clock.set(at);
      await harness.services.orm.em
        .fork()
        .getConnection()
        .execute(`update job set run_at = now() where tenant_id = ? and kind = 'journeys.timer' and status = 'pending' and (payload->>'dueAt')::timestamptz <= ?`, [clinic.tenant.id, at]);
      await settle();
    };

    const startAt = `${DateTime.fromJSDate(clock.now()).setZone('America/New_York').plus({ days: 4 }).toISODate()}T10:00`;
    const appointment = await clinic.call<{ id: string; startAt: string }>('POST', `${API}/appointments`, { patientId: opened.patient.id, practitionerId: opened.practitionerId, startAt });
    await settle();
    const [{ id }] = await instancesOf(clinic, journeyId);
    expect(await getInstance(clinic, id)).toMatchObject({ status: 'active', currentStage: 'prepare', appointmentId: appointment.id });

    const start = new Date(appointment.startAt);
    await passTime(new Date(start.getTime() - 24 * 3_600_000));
    expect((await getInstance(clinic, id)).currentStage).toBe('remind');

    clock.set(start);
    await clinic.call('POST', `${API}/appointments/${appointment.id}/check-in`);
    await clinic.call('POST', `${API}/appointments/${appointment.id}/complete`);
    await settle();
    expect((await getInstance(clinic, id)).currentStage).toBe('visited');

    // What is planned, as the patient-facing agent sees it for the verified patient (whatever patient it names).
    const agent: Caller = { tenant: clinic.tenant, actor: { kind: 'agent', id: 'agent', role: 'agent' }, channel: 'sms', subject: { patientId: opened.patient.id, verified: true } };
    const plan = await runOperation(harness.services, agent, { tool: 'get_journey_plan', input: { patientId: '00000000-0000-4000-8000-000000000001' } });
    expect(plan.ok && (plan.output as PlanBody)).toEqual({
      journeys: [{ instanceId: id, journey: 'Visit care', status: 'active', stage: 'Visit completed', next: [{ stage: 'Post-visit follow-up', at: new Date(start.getTime() + 2 * 86_400_000).toISOString(), when: 'after 2d from the stage' }] }],
    });
    const unverified = await runOperation(harness.services, { ...agent, subject: { patientId: opened.patient.id, verified: false } }, { tool: 'get_journey_plan', input: {} });
    expect(unverified.ok).toBe(false);

    await passTime(new Date(start.getTime() + 2 * 86_400_000));
    const done = await getInstance(clinic, id);
    expect(done).toMatchObject({ status: 'completed', currentStage: 'follow-up' });
    expect(done.stages.map((stage) => stage.stage)).toEqual(['prepare', 'remind', 'visited', 'follow-up']);
    const actions = done.timeline.filter((step) => step.kind === 'action');
    expect(actions.map((step) => [step.stage, step.detail.ok])).toEqual([
      ['prepare', true],
      ['remind', true],
      ['follow-up', true],
    ]);
    const sent = await clinic.call<{ items: { purpose: string }[] }>('GET', `${API}/notifications?patientId=${opened.patient.id}&purpose=care_messages`);
    expect(sent.items).toHaveLength(3);
    expect(await clinic.call('GET', `${JOURNEYS}/stats?journeyId=${journeyId}`)).toMatchObject({ total: 1, completionRate: 1 });
  });
});
