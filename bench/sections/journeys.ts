import { setTimeout as sleep } from 'node:timers/promises';
import type { Caller, Services } from '../../src/context.js';
import { newId } from '../../src/ids.js';
import { applyEventToJourneys } from '../../src/modules/journeys/consumer.js';
import { APPLY_JOB, type ApplyPayload } from '../../src/modules/journeys/subscriptions.js';
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
async function consumerSamples(services: Services, filtered: boolean, runs: number, progress: (message: string) => void): Promise<number[]> {
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
    `(${ALL_MATCH_RUNS} events); a new patient per event.`,
  ].join(' '),
  async run(database, progress) {
    const twilioApi = await startTwilioApi();
    const opened = await openInProcess(database, { config: { TWILIO_API_BASE_URL: twilioApi.url } });
    const { services } = opened;
    try {
      const oneMatch = await consumerSamples(services, true, ONE_MATCH_RUNS, progress);
      const allMatch = await consumerSamples(services, false, ALL_MATCH_RUNS, progress);

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
          ...(all.p95 < APPLY_GOAL_MS ? {} : { why: `${JOURNEYS} enrolments in one transaction: their locks and the check for instances under way are one statement each, then ${JOURNEYS * 5} new rows (an instance, two timeline rows, an event and a timer job each) built, flushed and committed` }),
        },
      ];
      return { rows, goals };
    } finally {
      await opened.close();
      await twilioApi.close();
    }
  },
};
