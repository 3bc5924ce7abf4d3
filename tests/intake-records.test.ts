import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, expectError } from './appointments-fixtures.js';
import { API } from './support/clinic-fixture.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { completeAnswers, intakeClinic, mixedRecords, openSession, SESSIONS, upsert, type SentRecord, type SessionDetail, type Upserted } from './support/intake-fixture.js';

let harness: Harness;
let clinic: TestTenant;
let patientId: string;

beforeAll(async () => {
  harness = await createHarness();
  ({ clinic, patient: { id: patientId } } = await intakeClinic(harness));
});
afterAll(() => harness.close());

const okUpsert = async (sessionId: string, records: SentRecord[], rev?: number) => {
  const response = await upsert(clinic, sessionId, records, rev);
  const body = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body as Upserted;
};
const detail = (sessionId: string) => clinic.call<SessionDetail>('GET', `${SESSIONS}/${sessionId}`);
/** What a refused call must leave as it was: the session's rows, records and events. */
const snapshot = async (sessionId: string) => ({
  records: await countRows(harness, clinic, 'intake_record', 'session_id = ?', [sessionId]),
  events: await countRows(harness, clinic, 'domain_event', 'entity_id = ?', [sessionId]),
  rev: (await detail(sessionId)).rev,
});

describe('upserting records', () => {
  it('stores a batch of every kind at once, and a resend of the same batch changes nothing', async () => {
    const session = await openSession(clinic, patientId);
    const batch = [...completeAnswers(), ...mixedRecords(7)];
    const first = await okUpsert(session.id, batch, 0);
    expect(first.changed).toBe(true);
    expect(first.session).toMatchObject({ rev: 1, recordCount: 11 });
    expect(first.records.map((record) => record.outcome)).toEqual(batch.map(() => 'created'));
    const before = await snapshot(session.id);

    for (let resend = 0; resend < 3; resend++) {
      // The rev the sender had before its first try: stale now, but a resend overwrites nothing.
      const again = await okUpsert(session.id, batch, 0);
      expect(again.changed).toBe(false);
      expect(again.session.rev).toBe(1);
      expect(again.records).toEqual(first.records.map((record) => ({ ...record, outcome: 'unchanged' })));
    }
    expect(await snapshot(session.id)).toEqual(before);
    const stored = await detail(session.id);
    expect(stored.records.map(({ clientItemId, kind, data }) => ({ clientItemId, kind, data }))).toEqual(batch.map((record) => ({ ...record, data: record.data ?? {} })));
  });

  it('replaces a record by its clientItemId, moving rev once, and tells created, updated and unchanged apart', async () => {
    const session = await openSession(clinic, patientId);
    const first = await okUpsert(session.id, completeAnswers());
    const changed = await okUpsert(
      session.id,
      [
        { clientItemId: 'complaint', kind: 'chief_complaint', data: { text: 'Headaches for three weeks' } },
        { clientItemId: 'allergies', kind: 'no_known_allergies', data: {} },
        { clientItemId: 'social', kind: 'social_history', data: { tobacco: 'former, quit 2019' } },
      ],
      1,
    );
    expect(changed.session).toMatchObject({ rev: 2, recordCount: 5 });
    expect(changed.records.map((record) => record.outcome)).toEqual(['updated', 'unchanged', 'created']);
    expect(changed.records[0].id).toBe(first.records[0].id);
    const complaint = (await detail(session.id)).records.find((record) => record.clientItemId === 'complaint');
    expect(complaint?.data).toEqual({ text: 'Headaches for three weeks' });
    const events = await harness.services.orm.em
      .fork()
      .execute<{ payload: unknown }[]>(`select payload from domain_event where tenant_id = ? and entity_id = ? and type = 'intake.records_upserted' order by occurred_at, id`, [clinic.tenant.id, session.id]);
    expect(events.map((event) => event.payload)).toEqual([
      { created: 4, updated: 0, rev: 1 },
      { created: 1, updated: 1, rev: 2 },
    ]);
  });

  it('refuses a change made against a stale rev with 409, and stores nothing of it', async () => {
    const session = await openSession(clinic, patientId);
    await okUpsert(session.id, completeAnswers(), 0);
    const before = await snapshot(session.id);
    const stale = await expectError(await upsert(clinic, session.id, [{ clientItemId: 'note', kind: 'note', data: { text: 'late' } }], 0), 409);
    expect(stale.error.details).toEqual({ rev: 1 });
    const deleting = await clinic.request('DELETE', `${SESSIONS}/${session.id}/records/${(await detail(session.id)).records[0].id}?rev=0`);
    await expectError(deleting, 409);
    await expectError(await clinic.request('POST', `${SESSIONS}/${session.id}/submit`, { body: { rev: 7 } }), 409);
    expect(await snapshot(session.id)).toEqual(before);
  });

  it('deletes a record of an open session', async () => {
    const session = await openSession(clinic, patientId);
    const { records } = await okUpsert(session.id, completeAnswers());
    const response = await clinic.request('DELETE', `${SESSIONS}/${session.id}/records/${records[1].id}?rev=1`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ session: { rev: 2, recordCount: 3 }, deletedRecordId: records[1].id });
    expect((await detail(session.id)).records.map((record) => record.clientItemId)).toEqual(['complaint', 'allergies', 'medication-1']);
    await expectError(await clinic.request('DELETE', `${SESSIONS}/${session.id}/records/${records[1].id}`), 404);
    // The same clientItemId sent again is a new record.
    expect((await okUpsert(session.id, [completeAnswers()[1]])).records[0].outcome).toBe('created');
  });

  it('keeps a submitted session read-only (422)', async () => {
    const session = await openSession(clinic, patientId);
    const { records } = await okUpsert(session.id, completeAnswers());
    await clinic.call('POST', `${SESSIONS}/${session.id}/submit`, {});
    const before = await snapshot(session.id);
    const refused = await expectError(await upsert(clinic, session.id, [{ clientItemId: 'note', kind: 'note', data: { text: 'after' } }]), 422);
    expect(refused.error.details).toMatchObject({ status: 'submitted' });
    await expectError(await upsert(clinic, session.id, completeAnswers()), 422);
    await expectError(await clinic.request('DELETE', `${SESSIONS}/${session.id}/records/${records[0].id}`), 422);
    expect(await snapshot(session.id)).toEqual(before);
  });
});

describe('bad records', () => {
  it('answers 4xx naming the record and the field, and stores nothing of the batch', async () => {
    const session = await openSession(clinic, patientId);
    await okUpsert(session.id, completeAnswers());
    const before = await snapshot(session.id);
    const good = mixedRecords(3, 'fine');
    const today = new Date();
    const tomorrow = new Date(today.getTime() + 2 * 86_400_000).toISOString().slice(0, 10);
    const cases: [string, unknown, number, string][] = [
      ['unknown kind', [...good, { clientItemId: 'x', kind: 'diagnosis', data: { text: 'flu' } }], 400, 'records.3.kind'],
      ['severity 11', [...good, { clientItemId: 'x', kind: 'symptom', data: { name: 'pain', severity: 11 } }], 400, 'records.3.data.severity'],
      ['severity not a whole number', [{ clientItemId: 'x', kind: 'symptom', data: { name: 'pain', severity: 2.5 } }], 400, 'records.0.data.severity'],
      ['an onset date in the future', [...good, { clientItemId: 'x', kind: 'symptom', data: { name: 'pain', onsetDate: tomorrow } }], 400, 'records.3.data.onsetDate'],
      ['a diagnosis year ahead', [{ clientItemId: 'x', kind: 'condition', data: { condition: 'asthma', diagnosedYear: today.getUTCFullYear() + 1 } }], 400, 'records.0.data.diagnosedYear'],
      ['not a date', [{ clientItemId: 'x', kind: 'symptom', data: { name: 'pain', onsetDate: '2026-02-30' } }], 400, 'records.0.data.onsetDate'],
      ['a NUL character', [...good, { clientItemId: 'x', kind: 'note', data: { text: 'before\u0000after' } }], 400, 'records.3.data.text'],
      ['a NUL in a clientItemId', [{ clientItemId: 'a\u0000b', kind: 'note', data: { text: 'x' } }], 400, 'records.0.clientItemId'],
      ['an unknown field', [{ clientItemId: 'x', kind: 'allergy', data: { substance: 'latex', mood: 'fine' } }], 400, 'records.0.data.mood'],
      ['a field of another kind', [{ clientItemId: 'x', kind: 'medication', data: { substance: 'latex' } }], 400, 'records.0.data.name'],
      ['an empty text', [{ clientItemId: 'x', kind: 'chief_complaint', data: { text: '   ' } }], 400, 'records.0.data.text'],
      ['an empty social history', [{ clientItemId: 'x', kind: 'social_history', data: {} }], 400, 'records.0.data'],
      ['data for a "none" answer', [{ clientItemId: 'x', kind: 'no_medications', data: { name: 'aspirin' } }], 400, 'records.0.data.name'],
      ['no clientItemId', [{ kind: 'note', data: { text: 'x' } }], 400, 'records.0.clientItemId'],
      ['a clientItemId twice', [...good, { ...good[1] }], 400, 'records.3.clientItemId'],
      ['no records', [], 400, 'records'],
      ['more than 5,000 records', mixedRecords(5001), 400, 'records'],
    ];
    for (const [name, records, status, path] of cases) {
      const refused = await expectError(await upsert(clinic, session.id, records as SentRecord[]), status, path);
      expect(refused.error.code, name).toBe('invalid_input');
    }
    const futureMessage = await expectError(await upsert(clinic, session.id, [...good, { clientItemId: 'late-onset', kind: 'symptom', data: { name: 'pain', onsetDate: tomorrow } }]), 400);
    expect(futureMessage.error.message).toContain('"late-onset"');
    await expectError(await clinic.request('PUT', `${SESSIONS}/${session.id}/records`, { body: { records: good, rev: -1 } }), 400, 'rev');
    await expectError(await clinic.request('PUT', `${SESSIONS}/${session.id}/records`, { body: { records: good, extra: true } }), 400, 'extra');
    expect(await snapshot(session.id)).toEqual(before);

    const runs = await clinic.call<{ items: { status: string; error: { code: string } | null }[] }>('GET', `${API}/agents/runs?tool=upsert_intake_records&status=rejected&limit=200`);
    expect(runs.items.length).toBeGreaterThanOrEqual(cases.length + 3);
    expect(runs.items.every((run) => run.error?.code === 'invalid_input')).toBe(true);
  });

  it('answers 413 for a body over the 1 MiB limit before reading it', async () => {
    const session = await openSession(clinic, patientId);
    const records = Array.from({ length: 600 }, (_, index) => ({ clientItemId: `n-${index}`, kind: 'note', data: { text: 'x'.repeat(2000) } }));
    const refused = await expectError(await upsert(clinic, session.id, records), 413);
    expect(refused.error.code).toBe('payload_too_large');
    expect(await countRows(harness, clinic, 'intake_record', 'session_id = ?', [session.id])).toBe(0);
  });

  it('holds at most 5,000 records per session: a batch that would pass it is refused whole (422)', async () => {
    const session = await openSession(clinic, patientId);
    await okUpsert(session.id, mixedRecords(5000));
    const before = await snapshot(session.id);
    // Changing a record is fine; adding one is not.
    await okUpsert(session.id, [{ clientItemId: 'item-6', kind: 'note', data: { text: 'changed' } }]);
    const refused = await expectError(await upsert(clinic, session.id, [{ clientItemId: 'item-0', kind: 'note', data: { text: 'x' } }, { clientItemId: 'one-more', kind: 'note', data: { text: 'x' } }]), 422, 'records');
    expect(refused.error.details).toEqual({ limit: 5000, recordCount: 5000 });
    expect(await snapshot(session.id)).toEqual({ ...before, rev: before.rev + 1, events: before.events + 1 });
  }, 60_000);
});
