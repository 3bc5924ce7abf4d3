import { randomUUID } from 'node:crypto';
import type { Caller } from '../../src/context.js';
import { addPatient, API, type TestPatient } from './clinic-fixture.js';
import type { Harness, TestTenant } from './harness.js';

export const SESSIONS = `${API}/intake/sessions`;

export type Session = { id: string; patientId: string; appointmentId: string | null; status: string; rev: number; recordCount: number; channel: string | null };
export type SentRecord = { clientItemId: string; kind: string; data?: Record<string, unknown> };
export type Upserted = { session: Session; changed: boolean; records: { clientItemId: string; id: string; outcome: string }[] };
export type StoredRecord = SentRecord & { id: string };
export type Summary = {
  sessionId: string;
  state: string;
  source: string | null;
  model: string | null;
  statements: { text: string; recordIds: string[] }[];
  droppedStatements: number;
  fallbackReason: string | null;
  sessionRev: number;
};
export type SessionDetail = Session & { records: StoredRecord[]; summary: Summary | null };

/** A patient of `clinic` with a phone, who granted `care_messages` on all channels unless told otherwise. */
export async function consentingPatient(clinic: TestTenant, options: { consentChannel?: string | null } = {}): Promise<TestPatient> {
  const phone = `+1212555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
  const patient = await addPatient(clinic, { givenName: 'Maria', familyName: `Intake-${randomUUID().slice(0, 6)}`, dateOfBirth: '1984-03-12', phone });
  const channel = options.consentChannel === undefined ? 'all' : options.consentChannel;
  if (channel !== null) await clinic.call('POST', `${API}/patients/${patient.id}/consents`, { channel, purpose: 'care_messages' });
  return patient;
}

/** A fresh clinic with one consenting patient. */
export async function intakeClinic(harness: Harness) {
  const clinic = await harness.newTenant();
  return { clinic, patient: await consentingPatient(clinic) };
}

export const openSession = (clinic: TestTenant, patientId: string, extra: Record<string, unknown> = {}) =>
  clinic.call<Session>('POST', SESSIONS, { patientId, ...extra });

export const upsert = (clinic: TestTenant, sessionId: string, records: SentRecord[], rev?: number) =>
  clinic.request('PUT', `${SESSIONS}/${sessionId}/records`, { body: { records, ...(rev === undefined ? {} : { rev }) } });

/** What a submit needs: a chief complaint, an answer on allergies and on medications; and a symptom. */
export const completeAnswers = (): SentRecord[] => [
  { clientItemId: 'complaint', kind: 'chief_complaint', data: { text: 'Headaches for two weeks' } },
  { clientItemId: 'symptom-1', kind: 'symptom', data: { name: 'headache', onsetDate: '2026-11-20', duration: 'hours', severity: 6, bodySite: 'forehead' } },
  { clientItemId: 'allergies', kind: 'no_known_allergies', data: {} },
  { clientItemId: 'medication-1', kind: 'medication', data: { name: 'Ibuprofen', dose: '400 mg', frequency: 'as needed' } },
];

/** `count` valid records of every kind in turn, their clientItemIds prefixed with `prefix`. */
export function mixedRecords(count: number, prefix = 'item'): SentRecord[] {
  const kinds: ((index: number) => Omit<SentRecord, 'clientItemId'>)[] = [
    (index) => ({ kind: 'symptom', data: { name: `symptom ${index}`, severity: index % 11, onsetDate: '2026-10-01', duration: '3 days', bodySite: 'chest', notes: 'worse at night' } }),
    (index) => ({ kind: 'allergy', data: { substance: `substance ${index}`, reaction: 'rash', severity: 'mild' } }),
    (index) => ({ kind: 'medication', data: { name: `medicine ${index}`, dose: '10 mg', frequency: 'daily' } }),
    (index) => ({ kind: 'condition', data: { condition: `condition ${index}`, diagnosedYear: 2010, status: 'active' } }),
    (index) => ({ kind: 'family_history', data: { relation: 'mother', condition: `condition ${index}`, ageAtOnset: 50 } }),
    () => ({ kind: 'social_history', data: { tobacco: 'never', alcohol: 'a glass of wine a week', occupation: 'teacher' } }),
    (index) => ({ kind: 'note', data: { text: `note ${index}` } }),
  ];
  return Array.from({ length: count }, (_, index) => ({ clientItemId: `${prefix}-${index}`, ...kinds[index % kinds.length](index) }));
}

/** The agent in a patient conversation, verified as `patientId` (or not). */
export const conversationCaller = (clinic: TestTenant, patientId: string | null, verified = true): Caller => ({
  tenant: clinic.tenant,
  actor: { kind: 'agent', id: 'agent-test', role: 'agent' },
  channel: 'whatsapp',
  conversationId: randomUUID(),
  subject: { patientId, verified },
});
