import { setTimeout as sleep } from 'node:timers/promises';
import type { Caller, Services } from '../../src/context.js';
import { newId } from '../../src/ids.js';
import { applyEventToJourneys } from '../../src/modules/journeys/consumer.js';
import { APPLY_JOB, TIMER_JOB, type ApplyPayload } from '../../src/modules/journeys/subscriptions.js';
import { JourneyInstance, JourneyStep } from '../../src/modules/journeys/entities.js';
import { DomainEvent, eventRows } from '../../src/events.js';
import { jobRow } from '../../src/jobs/enqueue.js';
import { Job } from '../../src/jobs/job.js';
import { insertRows, oneStatement } from '../../src/db/statement.js';
import { ormSql } from '../../src/db/sql.js';
import { startTwilioApi } from '../../tests/support/twilio-api.js';
import { inParallel } from '../api.js';
import { benchTenant, openInProcess, run } from '../in-process.js';
import type { Goal, Row, Section } from '../section.js';
import { count, ms, percentile, summarize } from '../stats.js';

const INSTANCES = 10_000;
const DUE = 1_000;
const JOURNEYS = 50;
const ONE_MATCH_RUNS = 200;
const ALL_MATCH_RUNS = 30;
/** The timers come due this long after they are set, so the worker starts with nothing else to do. */
const DUE_AFTER_MS = 3_000;
const DUE_GOAL_S = 60;
const APPLY_GOAL_MS = 20;

/** `amount` patients inserted in one statement (the journeys are measured here, not patient creation). */
async function insertPatients(services: Services, tenantId: string, amount: number, areaCode: string): Promise<string[]> {
  const ids = Array.from({ length: amount }, () => newId());
  const now = new Date();
  await services.orm.em.fork().getConnection().execute(
    `insert into patient (id, tenant_id, given_name, family_name, date_of_birth, sex, phone, status, created_at, updated_at)
     select id, ?, 'Pat', 'Journey', '1970-01-01', 'unknown', '+1' || ? || lpad(ordinality::text, 7, '0'), 'active', ?, ? from unnest(?::uuid[]) with ordinality as id`,
    [tenantId, areaCode, now, now, `{${ids.join(',')}}`],
  );
  return ids;
}

const waitAndEnd = (actions: { tool: string; input: Record<string, unknown> }[], delay: string) => [
  { key: 'wait', name: 'Wait', next: [{ to: 'act', after: { delay } }] },
  { key: 'act', name: 'Act', actions },
];

/** Publishes a journey through the runner; returns its id. */
async function publish(services: Services, caller: Caller, name: string, definition: Record<string, unknown>): Promise<string> {
  const journey = await run<{ id: string }>(services, caller, 'create_journey', { name, definition });
  await run(services, caller, 'publish_journey', { id: journey.id });
  return journey.id;
}

/** The consumer's handling of one event, timed: the handler the worker runs for a `journeys.apply` job. */
async function applyTimed(services: Services, caller: Caller, event: ApplyPayload): Promise<number> {
  const started = performance.now();
  await applyEventToJourneys({
    services,
    tenant: caller.tenant,
    log: services.log,
    job: { id: newId(), tenantId: caller.tenant.id, kind: APPLY_JOB, payload: event, serialKey: null, attempts: 1, maxAttempts: 5 },
    complete: () => Promise.reject(new Error('the consumer completes nothing itself')),
  });
  return performance.now() - started;
}

/** 50 published journeys triggered by patient.updated: each with a filter of its own (`marker`), or all without. */
async function consumerSamples(services: Services, filtered: boolean, runs: number, progress: (message: string) => void): Promise<{ samples: number[]; caller: Caller }> {
  const caller = await benchTenant(services, filtered ? 'Journeys: one of 50' : 'Journeys: all of 50');
  for (let index = 0; index < JOURNEYS; index++) {
    const trigger = { kind: 'event', event: 'patient.updated', ...(filtered ? { where: { marker: `m${index}` } } : {}) };
    await publish(services, caller, `Consumer ${index}`, { trigger, stages: waitAndEnd([], '30d') });
  }
  progress(`applying ${runs} events to ${JOURNEYS} published journeys (${filtered ? 'one matches' : 'all match'})`);
  const patients = await insertPatients(services, caller.tenant.id, runs + 5, filtered ? '631' : '516');
  const samples: number[] = [];
  for (const [index, patientId] of patients.entries()) {
    const event: ApplyPayload = { eventId: newId(), type: 'patient.updated', entityType: 'patient', entityId: patientId, payload: { marker: `m${index % JOURNEYS}`, fields: ['phone'] } };
    const elapsed = await applyTimed(services, caller, event);
    if (index >= 5) samples.push(elapsed); // the first few warm the caches up
  }
  return { samples: samples.sort((a, b) => a - b), caller };
}

/**
 * The floor under enrolling a patient on all the clinic's journeys at once: the rows such an
 * enrolment writes (per journey an instance, its two timeline rows, its event and its timer job),
 * inserted by one hand-written statement in a transaction of its own, for a new patient each time.
 */
async function rowsByHandSamples(services: Services, caller: Caller, runs: number): Promise<number[]> {
  const tenantId = caller.tenant.id;
  const em = services.orm.em.fork();
  const journeys = await em.getConnection().execute<{ id: string; version_id: string }[]>(`select id, published_version_id as version_id from journey where tenant_id = ?`, [tenantId]);
  const patients = await insertPatients(services, tenantId, runs + 5, '517');
  const samples: number[] = [];
  for (const [index, patientId] of patients.entries()) {
    const now = new Date();
    const stageRuns = [{ stage: 'wait', run: 1, status: 'active' as const, startedAt: now.toISOString(), endedAt: null, actionsDoneAt: now.toISOString() }];
    const instances: JourneyInstance[] = journeys.map((journey) => ({
      id: newId(), tenantId, journeyId: journey.id, versionId: journey.version_id, version: 1, patientId, appointmentId: null, status: 'active', currentStage: 'wait', stageStartedAt: now,
      stageRun: 1, timerToken: 1, stageRuns, enrolledAt: now, enrolEventId: newId(), endedAt: null, endReason: null, createdAt: now, updatedAt: now,
    }));
    const step = (instance: JourneyInstance, kind: 'enrolled' | 'stage_entered'): JourneyStep => ({
      id: newId(), tenantId, instanceId: instance.id, kind, stage: kind === 'enrolled' ? null : 'wait', summary: kind, detail: {}, toolRunId: null, eventId: null, dedupeKey: null, at: now, createdAt: now, updatedAt: now,
    });
    const events = instances.map((instance) => eventRows(tenantId, { type: 'journey.enrolled', entityType: 'journey_instance', entityId: instance.id, payload: { journeyId: instance.journeyId, patientId, version: 1 } }, now));
    const timers = instances.map((instance) => jobRow({ tenantId, kind: TIMER_JOB, payload: { instanceId: instance.id, token: 1, stage: 'wait', way: 0, dueAt: new Date(now.getTime() + 30 * 86_400_000).toISOString() } }, now));
    const started = performance.now();
    await services.orm.em.fork().transactional((transaction) =>
      ormSql(transaction).query(
        oneStatement(
          [insertRows(services.orm, JourneyInstance, instances), insertRows(services.orm, JourneyStep, instances.flatMap((instance) => [step(instance, 'enrolled'), step(instance, 'stage_entered')])), insertRows(services.orm, DomainEvent, events.map((event) => event.event))],
          insertRows(services.orm, Job, [...events.flatMap((event) => event.jobs), ...timers]),
        ),
      ),
    );
    if (index >= 5) samples.push(performance.now() - started);
  }
  // The timers must never fire: they name instances whose journeys nobody runs here.
  await em.getConnection().execute(`delete from job where tenant_id = ? and kind = ?`, [tenantId, TIMER_JOB]);
  return samples.sort((a, b) => a - b);
}

export const journeys: Section = {
  title: 'Care journeys: due timers and the consumer',
  about: [
    `In the bench process, services as the service builds them with its job worker started (its concurrency and one-second poll), its Twilio client`,
    `sending to a loopback stand-in of Twilio's API. *Due timers*: ${count(INSTANCES)} active instances enrolled through the runner (${count(INSTANCES - DUE)} on a`,
    `journey waiting 30 days, ${count(DUE)} on one whose next stage sends an SMS from a template); the ${count(DUE)} timers are then set due at one instant`,
    `${DUE_AFTER_MS / 1000} s ahead and the worker started. The lag of an action is from that instant to its SMS reaching the stand-in.`,
    `*Consumer*: the \`journeys.apply\` handler timed on one \`patient.updated\` event against ${JOURNEYS} published journeys triggered by it: each with a filter`,
    `of its own of which the event matches one (${ONE_MATCH_RUNS} events, one enrolment each), or none filtered so it enrols the patient on all ${JOURNEYS}`,
    `(${ALL_MATCH_RUNS} events); a new patient per event. For scale, the rows such an enrolment on all ${JOURNEYS} writes, inserted for a new patient by one`,
    `hand-written statement in its own transaction (${ALL_MATCH_RUNS} times).`,
  ].join(' '),
  async run(database, progress) {
    const twilioApi = await startTwilioApi();
    const opened = await openInProcess(database, { config: { TWILIO_API_BASE_URL: twilioApi.url } });
    const { services } = opened;
    try {
      const oneMatch = (await consumerSamples(services, true, ONE_MATCH_RUNS, progress)).samples;
      const all50 = await consumerSamples(services, false, ALL_MATCH_RUNS, progress);
      const allMatch = all50.samples;
      const byHand = summarize(await rowsByHandSamples(services, all50.caller, ALL_MATCH_RUNS));

      const staff = await benchTenant(services, 'Journeys: due timers');
      const admin: Caller = { ...staff, actor: { kind: 'staff', id: 'bench', role: 'admin' } };
      await run(services, admin, 'set_twilio_account', { accountSid: `AC${'d'.repeat(32)}`, authToken: 'bench-auth-token-journeys-0001', phoneNumber: `+1415556${String(Date.now() % 10_000).padStart(4, '0')}`, whatsappNumber: null });
      const template = await run<{ id: string }>(services, staff, 'create_template', { name: 'bench-check-in', channel: 'sms', locale: 'en', body: 'Hi {{ patient.givenName }}, time for your check-in.' });
      await run(services, staff, 'publish_template', { id: template.id });
      const hold = await publish(services, staff, 'Hold', { trigger: { kind: 'manual' }, stages: waitAndEnd([], '30d') });
      const nudge = await publish(services, staff, 'Nudge', {
        trigger: { kind: 'manual' },
        stages: waitAndEnd([{ tool: 'send_notification', input: { channel: 'sms', purpose: 'care_messages', template: { name: 'bench-check-in' } } }], '1d'),
      });
      const patients = await insertPatients(services, staff.tenant.id, INSTANCES, '332');
      const nudged = patients.slice(0, DUE);
      progress(`consent for ${count(DUE)} patients, ${count(INSTANCES)} enrolments through the runner`);
      await inParallel(nudged, 4, (patientId) => run(services, staff, 'grant_consent', { patientId, channel: 'sms', purpose: 'care_messages' }));
      let enrolled = 0;
      await inParallel(patients, 4, async (patientId, index) => {
        await run(services, staff, 'enrol_in_journey', { id: index < DUE ? nudge : hold, patientId });
        if (++enrolled % 2_000 === 0) progress(`${count(enrolled)} enrolled`);
      });

      const sql = services.orm.em.fork().getConnection();
      const dueAt = new Date(Date.now() + DUE_AFTER_MS);
      const set = await sql.execute<{ id: string }[]>(
        `update job set run_at = ?, payload = jsonb_set(payload, '{dueAt}', to_jsonb(?::text))
          where tenant_id = ? and kind = 'journeys.timer' and status = 'pending'
            and (payload->>'instanceId')::uuid in (select id from journey_instance where tenant_id = ? and journey_id = ?) returning id`,
        [dueAt, dueAt.toISOString(), staff.tenant.id, staff.tenant.id, nudge],
      );
      if (set.length !== DUE) throw new Error(`${set.length} timers set due, not ${DUE}`);
      const [active] = await sql.execute<{ count: number }[]>(`select count(*)::int as count from journey_instance where tenant_id = ? and status = 'active'`, [staff.tenant.id]);

      progress(`${count(DUE)} timers due at one instant; the worker runs`);
      const offset = Date.now() - performance.now();
      const before = twilioApi.sent.length;
      services.jobs.start();
      for (const deadline = dueAt.getTime() + 300_000; twilioApi.sent.length - before < DUE && Date.now() < deadline; ) await sleep(50);
      await services.jobs.stop();
      const sent = twilioApi.sent.slice(before);
      const lags = sent.map((message) => message.at + offset - dueAt.getTime()).sort((a, b) => a - b);
      const distinct = new Set(sent.map((message) => message.to)).size;
      const lastLag = lags.at(-1) ?? Number.NaN;
      const [completed] = await sql.execute<{ count: number }[]>(`select count(*)::int as count from journey_instance where tenant_id = ? and journey_id = ? and status = 'completed'`, [staff.tenant.id, nudge]);

      const one = summarize(oneMatch);
      const all = summarize(allMatch);
      const rows: Row[] = [
        { label: `Active instances / timers due at one instant`, value: `${count(active.count)} / ${count(DUE)}` },
        { label: `Due timers: SMS sent (distinct patients) / instances completed`, value: `${count(sent.length)} (${count(distinct)}) / ${count(completed.count)}` },
        { label: `Due timers: lag p50 / p95 / last`, value: `${ms(percentile(lags, 0.5))} / ${ms(percentile(lags, 0.95))} / ${ms(lastLag)}` },
        { label: `Consumer, one event, ${JOURNEYS} journeys, 1 matches: p50 / p95 / max`, value: `${ms(one.p50)} / ${ms(one.p95)} / ${ms(one.max)}` },
        { label: `Consumer, one event, ${JOURNEYS} journeys, all ${JOURNEYS} enrol: p50 / p95 / max`, value: `${ms(all.p50)} / ${ms(all.p95)} / ${ms(all.max)}` },
        { label: `The rows of those ${JOURNEYS} enrolments (${JOURNEYS * 5}) inserted by one hand-written statement: p50 / p95 / max`, value: `${ms(byHand.p50)} / ${ms(byHand.p95)} / ${ms(byHand.max)}` },
      ];
      const doneAll = sent.length === DUE && distinct === DUE;
      const goals: Goal[] = [
        {
          goal: `${count(DUE)} journey timers due in one minute among ${count(active.count)} active instances`,
          target: `every action done within ${DUE_GOAL_S} s of due`,
          measured: `${count(sent.length)} of ${count(DUE)}, the last ${ms(lastLag)} after due (p95 ${ms(percentile(lags, 0.95))})`,
          met: doneAll && lastLag <= DUE_GOAL_S * 1000,
          ...(doneAll ? {} : { why: `${count(DUE - distinct)} SMS missing when the bench stopped waiting` }),
        },
        {
          goal: `One event applied to ${JOURNEYS} published journeys (one matches)`,
          target: `p95 < ${APPLY_GOAL_MS} ms`,
          measured: ms(one.p95),
          met: one.p95 < APPLY_GOAL_MS,
        },
        {
          goal: `One event applied to ${JOURNEYS} published journeys (all ${JOURNEYS} enrol)`,
          target: `p95 < ${APPLY_GOAL_MS} ms`,
          measured: ms(all.p95),
          met: all.p95 < APPLY_GOAL_MS,
          ...(all.p95 < APPLY_GOAL_MS ? {} : { why: `${JOURNEYS} enrolments write ${JOURNEYS * 5} rows (an instance, two timeline rows, an event and a timer job each): inserted by one hand-written statement, those rows alone take ${ms(byHand.p50)} (p95 ${ms(byHand.p95)}) in this run; the consumer's locks and its check for instances under way are one statement each` }),
        },
      ];
      return { rows, goals };
    } finally {
      await opened.close();
      await twilioApi.close();
    }
  },
};
