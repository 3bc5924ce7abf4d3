import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from './appointments-fixtures.js';
import { API } from './support/clinic-fixture.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { completeAnswers, intakeClinic, openSession, SESSIONS, upsert, type SentRecord, type Session, type SessionDetail, type Summary } from './support/intake-fixture.js';
import { startReceiver, type Receiver } from './support/webhook-receiver.js';

let harness: Harness;
let clinic: TestTenant;
let patientId: string;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  harness = await createHarness({ config: { PRM_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
  ({ clinic, patient: { id: patientId } } = await intakeClinic(harness));
});
afterAll(async () => {
  await harness.close();
  receiver.close();
});

const drain = () => harness.services.jobs.drain({ tenantId: clinic.tenant.id });
const submit = (sessionId: string, body: Record<string, unknown> = {}) => clinic.request('POST', `${SESSIONS}/${sessionId}/submit`, { body });
const summaryOf = (sessionId: string) => clinic.call<Summary>('GET', `${SESSIONS}/${sessionId}/summary`);

async function sessionWith(records: SentRecord[]): Promise<Session> {
  const session = await openSession(clinic, patientId);
  const response = await upsert(clinic, session.id, records);
  expect(response.status).toBe(200);
  return ((await response.json()) as { session: Session }).session;
}

describe('submitting an intake', () => {
  it('needs a chief complaint and an explicit answer on allergies and on medications, and says what is missing', async () => {
    const [complaint, symptom, noAllergies, medication] = completeAnswers();
    const cases: [SentRecord[], string[], string[]][] = [
      [[symptom], ['chief_complaint', 'allergies', 'medications'], []],
      [[complaint, symptom], ['allergies', 'medications'], []],
      [[complaint, noAllergies], ['medications'], []],
      [[symptom, noAllergies, medication], ['chief_complaint'], []],
      [[complaint, noAllergies, medication, { clientItemId: 'penicillin', kind: 'allergy', data: { substance: 'penicillin' } }], [], ['allergies']],
      [[complaint, noAllergies, medication, { clientItemId: 'none', kind: 'no_medications' }], [], ['medications']],
    ];
    for (const [records, missing, conflicting] of cases) {
      const session = await sessionWith(records);
      const refused = await expectError(await submit(session.id), 422);
      expect(refused.error.details).toEqual({ missing, conflicting });
      for (const topic of [...missing, ...conflicting]) expect(refused.error.message).toContain(topic);
      expect((await clinic.call<Session>('GET', `${SESSIONS}/${session.id}`)).status).toBe('open');
    }
    const empty = await openSession(clinic, patientId);
    expect((await expectError(await submit(empty.id), 422)).error.details).toEqual({ missing: ['chief_complaint', 'allergies', 'medications'], conflicting: [] });
    // Allergy entries and "no medications" answer both questions.
    const answered = await sessionWith([complaint, { clientItemId: 'latex', kind: 'allergy', data: { substance: 'latex', reaction: 'hives', severity: 'moderate' } }, { clientItemId: 'none', kind: 'no_medications', data: {} }]);
    expect((await submit(answered.id, { rev: answered.rev })).status).toBe(200);
  });

  it('emits intake.submitted through the outbox: a subscribed webhook receives it, with ids and counts only', async () => {
    const endpoint = await clinic.call<{ secret: string }>('POST', `${API}/webhooks/endpoints`, { url: receiver.url, eventTypes: ['intake.submitted'] });
    const session = await sessionWith(completeAnswers());
    receiver.reset();
    const response = await submit(session.id, { rev: 1 });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'submitted', rev: 2, submittedAt: expect.any(String) });
    await drain();
    const delivered = receiver.received.map((delivery) => new Webhook(endpoint.secret).verify(delivery.body, delivery.headers as Record<string, string>) as { type: string; data: Record<string, unknown> });
    expect(delivered).toEqual([
      { type: 'intake.submitted', timestamp: expect.any(String), data: { id: expect.any(String), entityType: 'intake_session', entityId: session.id, patientId, recordCount: 4, rev: 2 } },
    ]);
    expect(receiver.received[0].body).not.toContain('Headaches');
    await expectError(await submit(session.id), 422);
  });
});

describe('the summary', () => {
  it('is built from the records without a model, each statement citing its record; staff edit it and mark the session reviewed', async () => {
    const session = await sessionWith(completeAnswers());
    expect((await expectError(await clinic.request('GET', `${SESSIONS}/${session.id}/summary`), 422)).error.message).toContain('open');
    await clinic.call('POST', `${SESSIONS}/${session.id}/submit`, {});
    expect(await summaryOf(session.id)).toMatchObject({ state: 'pending', source: null, statements: [], sessionRev: 2 });
    await expectError(await clinic.request('POST', `${SESSIONS}/${session.id}/review`, { body: {} }), 422);
    await drain();

    const written = await summaryOf(session.id);
    const records = (await clinic.call<SessionDetail>('GET', `${SESSIONS}/${session.id}`)).records;
    const idOf = (clientItemId: string) => records.find((record) => record.clientItemId === clientItemId)?.id;
    expect(written).toMatchObject({ state: 'written', source: 'records', model: null, droppedStatements: 0, fallbackReason: null, sessionRev: 3 });
    expect(written.statements).toEqual([
      { text: 'Chief complaint: Headaches for two weeks.', recordIds: [idOf('complaint')] },
      { text: 'Symptom: headache, at forehead, severity 6/10, since 2026-11-20, lasting hours.', recordIds: [idOf('symptom-1')] },
      { text: 'No known allergies.', recordIds: [idOf('allergies')] },
      { text: 'Medication: Ibuprofen, 400 mg, as needed.', recordIds: [idOf('medication-1')] },
    ]);
    const events = await harness.services.orm.em.fork().execute<{ type: string }[]>(`select type from domain_event where tenant_id = ? and entity_id = ? order by occurred_at, id`, [clinic.tenant.id, session.id]);
    expect(events.map((event) => event.type)).toEqual(['intake.session_created', 'intake.records_upserted', 'intake.submitted', 'intake.summary_written']);

    const statements = [
      { text: 'Tension-type headaches, two weeks, no red flags reported.', recordIds: [idOf('complaint'), idOf('symptom-1')] },
      { text: 'Discussed at the desk: sleeps badly.', recordIds: [] },
    ];
    await expectError(await clinic.request('PUT', `${SESSIONS}/${session.id}/summary`, { body: { statements, rev: 2 } }), 409);
    const other = await sessionWith(completeAnswers());
    const foreign = (await clinic.call<SessionDetail>('GET', `${SESSIONS}/${other.id}`)).records[0].id;
    await expectError(await clinic.request('PUT', `${SESSIONS}/${session.id}/summary`, { body: { statements: [{ text: 'x', recordIds: [foreign] }] } }), 422, 'statements.0.recordIds');
    await expectError(await clinic.request('PUT', `${SESSIONS}/${session.id}/summary`, { body: { statements: [{ text: 'a\u0000b', recordIds: [] }] } }), 400, 'statements.0.text');
    const edited = await clinic.call<Summary>('PUT', `${SESSIONS}/${session.id}/summary`, { statements, rev: 3 });
    expect(edited).toMatchObject({ state: 'edited', source: 'records', statements, sessionRev: 4 });

    // Agent keys do not review.
    await expectError(await clinic.request('POST', `${SESSIONS}/${session.id}/review`, { body: {}, key: clinic.keys.agent }), 403);
    const reviewed = await clinic.request('POST', `${SESSIONS}/${session.id}/review`, { body: { rev: 4 }, key: clinic.keys.staff });
    expect(reviewed.status).toBe(200);
    expect(await reviewed.json()).toMatchObject({ status: 'reviewed', rev: 5, reviewedAt: expect.any(String) });
    await expectError(await clinic.request('PUT', `${SESSIONS}/${session.id}/summary`, { body: { statements } }), 422);
    await expectError(await clinic.request('POST', `${SESSIONS}/${session.id}/review`, { body: {} }), 422);
    expect((await summaryOf(session.id)).statements).toEqual(statements);
  });

  it('is left as staff wrote it when they edit it before the job runs', async () => {
    const session = await sessionWith(completeAnswers());
    await clinic.call('POST', `${SESSIONS}/${session.id}/submit`, {});
    const statements = [{ text: 'Written by the nurse.', recordIds: [] }];
    await clinic.call('PUT', `${SESSIONS}/${session.id}/summary`, { statements });
    await drain();
    expect(await summaryOf(session.id)).toMatchObject({ state: 'edited', source: null, statements, sessionRev: 3 });
  });
});
