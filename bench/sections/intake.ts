import type { Caller, Services } from '../../src/context.js';
import { runOperation } from '../../src/tools/runner.js';
import { benchTenant, openInProcess, run } from '../in-process.js';
import { patientInput } from '../dataset.js';
import type { Row, Section } from '../section.js';
import { ms, timeCalls, type Summary } from '../stats.js';

const BATCH = 50;
const RUNS = 200;
const WARM_UP = 20;
const RESENDS = 3;
const GOAL_P95_MS = 50;

/** A patient's intake of `BATCH` records, every kind: what a long form sends in one call. */
function intakeBatch(): Record<string, unknown>[] {
  const fixed = [
    { clientItemId: 'complaint', kind: 'chief_complaint', data: { text: 'Shortness of breath when climbing stairs for a month' } },
    { clientItemId: 'social', kind: 'social_history', data: { tobacco: 'former, 10 a day until 2015', alcohol: 'rarely', occupation: 'bus driver', livingSituation: 'with partner' } },
  ];
  const repeated = [
    (index: number) => ({ kind: 'symptom', data: { name: `symptom ${index}`, onsetDate: '2026-10-01', duration: 'minutes', severity: index % 11, bodySite: 'chest', notes: 'worse on exertion' } }),
    (index: number) => ({ kind: 'allergy', data: { substance: `substance ${index}`, reaction: 'hives', severity: 'moderate' } }),
    (index: number) => ({ kind: 'medication', data: { name: `medicine ${index}`, dose: '5 mg', frequency: 'once a day' } }),
    (index: number) => ({ kind: 'condition', data: { condition: `condition ${index}`, diagnosedYear: 2012, status: 'active' } }),
    (index: number) => ({ kind: 'family_history', data: { relation: 'father', condition: `condition ${index}`, ageAtOnset: 55 } }),
    (index: number) => ({ kind: 'note', data: { text: `A note of the patient, number ${index}.` } }),
  ];
  return [...fixed, ...Array.from({ length: BATCH - fixed.length }, (_, index) => ({ clientItemId: `item-${index}`, ...repeated[index % repeated.length](index) }))];
}

async function upsert(services: Services, caller: Caller, sessionId: string, records: Record<string, unknown>[]): Promise<{ changed: boolean; session: { rev: number } }> {
  const outcome = await runOperation(services, caller, { tool: 'upsert_intake_records', input: { id: sessionId, records } });
  if (!outcome.ok) throw new Error(`upsert_intake_records failed: ${outcome.error.code}: ${outcome.error.message}`);
  return outcome.output as { changed: boolean; session: { rev: number } };
}

const timing = (name: string, summary: Summary): Row => ({ label: `${name}: p50 / p95`, value: `${ms(summary.p50)} / ${ms(summary.p95)}` });

export const intake: Section = {
  title: 'Clinical intake',
  about:
    `\`upsert_intake_records\` through the runner, in-process, as a staff caller: a batch of ${BATCH} records of every kind into a fresh open session ` +
    `(the session opened before the clock starts), ${RUNS} runs after ${WARM_UP} of warm-up; then the same batch sent again to a session that has it ` +
    `(nothing to write), and ${RESENDS} resends of one batch, after which the session must still hold ${BATCH} records at the same rev.`,
  async run(database, progress) {
    const opened = await openInProcess(database);
    try {
      const { services } = opened;
      const caller = await benchTenant(services, 'Bench intake clinic');
      const patient = await run<{ id: string }>(services, caller, 'create_patient', patientInput(0));
      await run(services, caller, 'grant_consent', { patientId: patient.id, channel: 'all', purpose: 'care_messages' });
      const openSession = async () => (await run<{ id: string }>(services, caller, 'create_intake_session', { patientId: patient.id })).id;
      const batch = intakeBatch();

      progress(`${RUNS} batches of ${BATCH} new records`);
      const sessions: string[] = [];
      for (let index = 0; index < RUNS + WARM_UP; index++) sessions.push(await openSession());
      let next = 0;
      const fresh = await timeCalls(() => upsert(services, caller, sessions[next++], batch), { runs: RUNS, warmUp: WARM_UP });

      progress(`${RUNS} resends of a stored batch`);
      const stored = sessions[0];
      const resent = await timeCalls(() => upsert(services, caller, stored, batch), { runs: RUNS, warmUp: WARM_UP });
      const queries = (await opened.countQueries(() => upsert(services, caller, sessions[1], batch.map((record) => ({ ...record, clientItemId: `${String(record.clientItemId)}-b` }))))).queries.length;

      const session = await openSession();
      const first = await upsert(services, caller, session, batch);
      const again = [];
      for (let resend = 0; resend < RESENDS; resend++) again.push(await upsert(services, caller, session, batch));
      const detail = await run<{ rev: number; records: unknown[] }>(services, caller, 'get_intake_session', { id: session });
      const unchanged = detail.records.length === BATCH && detail.rev === first.session.rev && again.every((outcome) => !outcome.changed);

      const rows: Row[] = [
        timing(`A batch of ${BATCH} new records`, fresh),
        timing(`The same ${BATCH} records sent again (unchanged)`, resent),
        { label: `Statements per batch of ${BATCH} new records (runner included)`, value: String(queries) },
        { label: `Records after the batch and ${RESENDS} resends`, value: `${detail.records.length} (rev ${first.session.rev} → ${detail.rev})` },
      ];
      return {
        rows,
        goals: [
          { goal: `Upsert of a ${BATCH}-record batch, p95`, target: `< ${GOAL_P95_MS} ms`, measured: ms(fresh.p95), met: fresh.p95 < GOAL_P95_MS },
          { goal: `A batch resent ${RESENDS} times`, target: `${BATCH} rows, same rev`, measured: `${detail.records.length} rows, rev ${first.session.rev} → ${detail.rev}`, met: unchanged },
        ],
      };
    } finally {
      await opened.close();
    }
  },
};
