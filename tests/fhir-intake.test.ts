import type { AllergyIntolerance, Bundle, Condition, FamilyMemberHistory, MedicationStatement, QuestionnaireResponse } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fhirError, fhirOk, idsFound, resourcesOf } from './support/fhir.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { intakeClinic, openSession, SESSIONS, upsert, type SentRecord, type Session, type Upserted } from './support/intake-fixture.js';

let harness: Harness;
let clinic: TestTenant;
let patientId: string;
/** Record ids by clientItemId (unique over this file's sessions). */
const records: Record<string, string> = {};
const sessions = { full: '', none: '', draft: '' };
let submittedAt = '';

const full: SentRecord[] = [
  { clientItemId: 'complaint', kind: 'chief_complaint', data: { text: 'Headaches for two weeks' } },
  { clientItemId: 'headache', kind: 'symptom', data: { name: 'headache', onsetDate: '2026-11-20', duration: 'hours', severity: 6, bodySite: 'forehead', notes: 'worse in the morning' } },
  { clientItemId: 'penicillin', kind: 'allergy', data: { substance: 'penicillin', reaction: 'hives', severity: 'severe' } },
  { clientItemId: 'latex', kind: 'allergy', data: { substance: 'latex', severity: 'moderate' } },
  { clientItemId: 'ibuprofen', kind: 'medication', data: { name: 'Ibuprofen', dose: '400 mg', frequency: 'as needed', notes: 'for the headaches' } },
  { clientItemId: 'asthma', kind: 'condition', data: { condition: 'asthma', diagnosedYear: 2010, status: 'active' } },
  { clientItemId: 'appendix', kind: 'condition', data: { condition: 'appendectomy', status: 'unknown' } },
  { clientItemId: 'mother', kind: 'family_history', data: { relation: 'Mother', condition: 'type 2 diabetes', ageAtOnset: 50 } },
  { clientItemId: 'grandmother', kind: 'family_history', data: { relation: 'Maternal  grandmother', condition: 'breast cancer' } },
  { clientItemId: 'godmother', kind: 'family_history', data: { relation: 'godmother', condition: 'congenital heart defect', ageAtOnset: 0 } },
  { clientItemId: 'social', kind: 'social_history', data: { tobacco: 'never', occupation: 'teacher' } },
  { clientItemId: 'note', kind: 'note', data: { text: 'Prefers morning appointments' } },
];
const none: SentRecord[] = [
  { clientItemId: 'complaint-2', kind: 'chief_complaint', data: { text: 'Check-up' } },
  { clientItemId: 'no-allergies', kind: 'no_known_allergies', data: {} },
  { clientItemId: 'no-medications', kind: 'no_medications', data: {} },
];
const draft: SentRecord[] = [
  { clientItemId: 'complaint-3', kind: 'chief_complaint', data: { text: 'Back pain' } },
  { clientItemId: 'draft-allergy', kind: 'allergy', data: { substance: 'peanuts' } },
  { clientItemId: 'draft-medication', kind: 'no_medications', data: {} },
];

async function sessionWith(sent: SentRecord[]): Promise<string> {
  const session = await openSession(clinic, patientId);
  const response = await upsert(clinic, session.id, sent);
  expect(response.status).toBe(200);
  for (const record of ((await response.json()) as Upserted).records) records[record.clientItemId] = record.id;
  return session.id;
}

const submit = (sessionId: string) => clinic.call<Session & { submittedAt: string }>('POST', `${SESSIONS}/${sessionId}/submit`, {});

beforeAll(async () => {
  harness = await createHarness();
  ({ clinic, patient: { id: patientId } } = await intakeClinic(harness));
  sessions.full = await sessionWith(full);
  sessions.none = await sessionWith(none);
  sessions.draft = await sessionWith(draft);
  submittedAt = (await submit(sessions.full)).submittedAt;
  await submit(sessions.none);
  await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
  await clinic.call('POST', `${SESSIONS}/${sessions.none}/review`, {});
});
afterAll(() => harness.close());

const search = (path: string) => idsFound(clinic, path);
const idsOf = (...clientItemIds: string[]) => clientItemIds.map((clientItemId) => records[clientItemId]);
const patient = () => ({ reference: `Patient/${patientId}` });
const unconfirmed = (kind: 'allergyintolerance' | 'condition') => ({
  coding: [{ system: `http://terminology.hl7.org/CodeSystem/${kind === 'condition' ? 'condition-ver-status' : 'allergyintolerance-verification'}`, code: 'unconfirmed', display: 'Unconfirmed' }],
});

describe('FHIR QuestionnaireResponse', () => {
  it('is a session’s answers: an item per record, one-field kinds and nones answered on the item, the others a nested item per field', async () => {
    const response = await fhirOk<QuestionnaireResponse>(clinic, `/QuestionnaireResponse/${sessions.full}`);
    expect(response).toMatchObject({ resourceType: 'QuestionnaireResponse', id: sessions.full, status: 'completed', subject: patient(), source: patient(), authored: submittedAt });
    expect(response.item?.map((item) => [item.id, item.linkId])).toEqual(full.map((record) => [records[record.clientItemId], record.clientItemId]));
    const byLink = Object.fromEntries((response.item ?? []).map((item) => [item.linkId, item]));
    expect(byLink.complaint).toMatchObject({ text: 'Why do you come?', answer: [{ valueString: 'Headaches for two weeks' }] });
    expect(byLink.complaint.item).toBeUndefined();
    expect(byLink.headache.item).toEqual([
      { linkId: 'headache.name', text: 'Symptom', answer: [{ valueString: 'headache' }] },
      { linkId: 'headache.onsetDate', text: 'Started on', answer: [{ valueDate: '2026-11-20' }] },
      { linkId: 'headache.duration', text: 'Duration', answer: [{ valueString: 'hours' }] },
      { linkId: 'headache.severity', text: 'Severity (0–10)', answer: [{ valueInteger: 6 }] },
      { linkId: 'headache.bodySite', text: 'Body site', answer: [{ valueString: 'forehead' }] },
      { linkId: 'headache.notes', text: 'Notes', answer: [{ valueString: 'worse in the morning' }] },
    ]);
    expect(byLink.penicillin.item?.[2]).toEqual({ linkId: 'penicillin.severity', text: 'Severity', answer: [{ valueCoding: { system: 'http://hl7.org/fhir/reaction-event-severity', code: 'severe', display: 'Severe' } }] });
    expect(byLink.latex.item?.map((item) => item.linkId)).toEqual(['latex.substance', 'latex.severity']);
    expect(byLink.asthma.item?.slice(1, 3)).toEqual([
      { linkId: 'asthma.diagnosedYear', text: 'Year diagnosed', answer: [{ valueDate: '2010' }] },
      { linkId: 'asthma.status', text: 'Status', answer: [{ valueCoding: { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active', display: 'Active' } }] },
    ]);
    expect(byLink.appendix.item?.[1].answer).toEqual([{ valueCoding: { system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'unknown', display: 'Unknown' } }]);
    expect(byLink.mother.item?.[2]).toEqual({ linkId: 'mother.ageAtOnset', text: 'Age at onset (years)', answer: [{ valueInteger: 50 }] });
    expect(byLink.social.item?.map((item) => item.linkId)).toEqual(['social.tobacco', 'social.occupation']);
    expect(byLink.note.answer).toEqual([{ valueString: 'Prefers morning appointments' }]);

    const answeredNone = await fhirOk<QuestionnaireResponse>(clinic, `/QuestionnaireResponse/${sessions.none}`);
    expect(answeredNone.status).toBe('completed');
    expect(answeredNone.item?.slice(1)).toEqual([
      { id: records['no-allergies'], linkId: 'no-allergies', text: 'Allergies', answer: [{ valueCoding: { system: 'http://snomed.info/sct', code: '716186003', display: 'No known allergy' } }] },
      { id: records['no-medications'], linkId: 'no-medications', text: 'Medications', answer: [{ valueCoding: { system: 'http://snomed.info/sct', code: '787481004', display: 'No known medications' } }] },
    ]);
  });

  it('is in-progress without an authored date while the session is open', async () => {
    const open = await fhirOk<QuestionnaireResponse>(clinic, `/QuestionnaireResponse/${sessions.draft}`);
    expect(open).toMatchObject({ status: 'in-progress', subject: patient() });
    expect(open.authored).toBeUndefined();
    expect(open.item?.map((item) => item.linkId)).toEqual(['complaint-3', 'draft-allergy', 'draft-medication']);
  });

  it('is searched by patient, status, authored and _lastUpdated', async () => {
    const today = DateTime.fromISO(submittedAt).setZone(clinic.tenant.timeZone).toISODate();
    const all = [sessions.full, sessions.none, sessions.draft];
    expect(await search(`/QuestionnaireResponse?patient=Patient/${patientId}`)).toEqual(all);
    expect(await search(`/QuestionnaireResponse?patient=${patientId}&status=completed`)).toEqual([sessions.full, sessions.none]);
    expect(await search(`/QuestionnaireResponse?status=in-progress`)).toEqual([sessions.draft]);
    expect(await search(`/QuestionnaireResponse?status=amended`)).toEqual([]);
    expect(await search(`/QuestionnaireResponse?authored=${today}`)).toEqual([sessions.full, sessions.none]);
    expect(await search(`/QuestionnaireResponse?authored=lt${today}`)).toEqual([]);
    expect(await search(`/QuestionnaireResponse?_lastUpdated=ge${today}`)).toEqual(all);
    expect(await search(`/QuestionnaireResponse?_lastUpdated=lt${today}`)).toEqual([]);
  });
});

describe('FHIR AllergyIntolerance', () => {
  it('is each reported allergy, unconfirmed, and “no known allergies” as SNOMED 716186003', async () => {
    const common = {
      resourceType: 'AllergyIntolerance',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active', display: 'Active' }] },
      verificationStatus: unconfirmed('allergyintolerance'),
      patient: patient(),
      asserter: patient(),
    };
    const penicillin = await fhirOk<AllergyIntolerance>(clinic, `/AllergyIntolerance/${records.penicillin}`);
    expect(penicillin).toEqual({
      ...common,
      id: records.penicillin,
      meta: { lastUpdated: expect.any(String) },
      recordedDate: expect.any(String),
      code: { text: 'penicillin' },
      reaction: [{ manifestation: [{ text: 'hives' }], severity: 'severe' }],
    });
    expect(await fhirOk<AllergyIntolerance>(clinic, `/AllergyIntolerance/${records.latex}`)).toMatchObject({ code: { text: 'latex' }, note: [{ text: 'Reaction severity: moderate' }] });
    expect(await fhirOk<AllergyIntolerance>(clinic, `/AllergyIntolerance/${records['no-allergies']}`)).toMatchObject({
      ...common,
      code: { coding: [{ system: 'http://snomed.info/sct', code: '716186003', display: 'No known allergy' }], text: 'No known allergies' },
    });
    expect(await search(`/AllergyIntolerance?patient=${patientId}`)).toEqual(idsOf('penicillin', 'latex', 'no-allergies'));
  });
});

describe('FHIR MedicationStatement', () => {
  it('is each medication with its dosage as text, and “no medications” as an active statement of SNOMED 787481004', async () => {
    expect(await fhirOk<MedicationStatement>(clinic, `/MedicationStatement/${records.ibuprofen}`)).toEqual({
      resourceType: 'MedicationStatement',
      id: records.ibuprofen,
      meta: { lastUpdated: expect.any(String) },
      status: 'active',
      subject: patient(),
      dateAsserted: expect.any(String),
      informationSource: patient(),
      medicationCodeableConcept: { text: 'Ibuprofen' },
      dosage: [{ text: '400 mg, as needed' }],
      note: [{ text: 'for the headaches' }],
    });
    expect(await fhirOk<MedicationStatement>(clinic, `/MedicationStatement/${records['no-medications']}`)).toMatchObject({
      status: 'active',
      medicationCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '787481004', display: 'No known medications' }] },
    });
    expect(await search(`/MedicationStatement?patient=${patientId}`)).toEqual(idsOf('ibuprofen', 'no-medications'));
  });
});

describe('FHIR Condition', () => {
  it('is the history on the problem list and each symptom as a reported finding', async () => {
    const symptom = await fhirOk<Condition>(clinic, `/Condition/${records.headache}`);
    expect(symptom).toEqual({
      resourceType: 'Condition',
      id: records.headache,
      meta: { lastUpdated: expect.any(String) },
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active', display: 'Active' }] },
      verificationStatus: unconfirmed('condition'),
      category: [{ coding: [{ system: 'http://snomed.info/sct', code: '418799008', display: 'Finding reported by subject or history provider' }], text: 'Symptom' }],
      severity: { text: '6 out of 10' },
      code: { text: 'headache' },
      bodySite: [{ text: 'forehead' }],
      subject: patient(),
      onsetDateTime: '2026-11-20',
      recordedDate: expect.any(String),
      asserter: patient(),
      note: [{ text: 'Duration: hours' }, { text: 'worse in the morning' }],
    });
    const problem = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item', display: 'Problem List Item' }] }];
    expect(await fhirOk<Condition>(clinic, `/Condition/${records.asthma}`)).toMatchObject({ category: problem, code: { text: 'asthma' }, onsetDateTime: '2010', clinicalStatus: { coding: [{ code: 'active' }] } });
    const unknownStatus = await fhirOk<Condition>(clinic, `/Condition/${records.appendix}`);
    expect(unknownStatus).toMatchObject({ category: problem, code: { text: 'appendectomy' } });
    expect(unknownStatus.clinicalStatus).toBeUndefined();

    expect(await search(`/Condition?patient=${patientId}`)).toEqual(idsOf('headache', 'asthma', 'appendix'));
    expect(await search(`/Condition?patient=${patientId}&category=problem-list-item`)).toEqual(idsOf('asthma', 'appendix'));
    expect(await search(`/Condition?category=http://snomed.info/sct|418799008`)).toEqual(idsOf('headache'));
    expect(await search(`/Condition?category=http://snomed.info/sct|problem-list-item`)).toEqual([]);
    await fhirError(clinic, '/Condition?category=symptom', 400);
  });
});

describe('FHIR FamilyMemberHistory', () => {
  it('is each relative’s condition, the relation coded in v3 RoleCode where it maps', async () => {
    expect(await fhirOk<FamilyMemberHistory>(clinic, `/FamilyMemberHistory/${records.mother}`)).toEqual({
      resourceType: 'FamilyMemberHistory',
      id: records.mother,
      meta: { lastUpdated: expect.any(String) },
      status: 'completed',
      patient: patient(),
      date: expect.any(String),
      relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH', display: 'mother' }], text: 'Mother' },
      condition: [{ code: { text: 'type 2 diabetes' }, onsetAge: { value: 50, unit: 'a', system: 'http://unitsofmeasure.org', code: 'a' } }],
    });
    const grandmother = await fhirOk<FamilyMemberHistory>(clinic, `/FamilyMemberHistory/${records.grandmother}`);
    expect(grandmother.relationship).toEqual({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MGRMTH', display: 'maternal grandmother' }], text: 'Maternal  grandmother' });
    expect(grandmother.condition).toEqual([{ code: { text: 'breast cancer' } }]);
    const godmother = await fhirOk<FamilyMemberHistory>(clinic, `/FamilyMemberHistory/${records.godmother}`);
    expect(godmother.relationship).toEqual({ text: 'godmother' });
    expect(godmother.condition).toEqual([{ code: { text: 'congenital heart defect' }, onsetString: 'before the age of 1' }]);
    expect(await search(`/FamilyMemberHistory?patient=${patientId}`)).toEqual(idsOf('mother', 'grandmother', 'godmother'));
  });
});

describe('FHIR intake records of an open session', () => {
  it('are not exported until it is submitted, and then show up to a _lastUpdated poll', async () => {
    await fhirError(clinic, `/AllergyIntolerance/${records['draft-allergy']}`, 404);
    await fhirError(clinic, `/MedicationStatement/${records['draft-medication']}`, 404);
    // The last change of any session so far (the review of `none`): the draft's records are older.
    const changes = await Promise.all(Object.values(sessions).map(async (id) => (await clinic.call<{ updatedAt: string }>('GET', `${SESSIONS}/${id}`)).updatedAt));
    const since = `gt${encodeURIComponent(changes.sort().at(-1) ?? '')}`;
    expect(await search(`/AllergyIntolerance?_lastUpdated=${since}`)).toEqual([]);
    await submit(sessions.draft);
    // The records were written before `since`; they are new to FHIR now, and their lastUpdated says so.
    expect(await search(`/AllergyIntolerance?_lastUpdated=${since}`)).toEqual(idsOf('draft-allergy'));
    expect(await search(`/MedicationStatement?_lastUpdated=${since}`)).toEqual(idsOf('draft-medication'));
    expect(await search(`/AllergyIntolerance?patient=${patientId}`)).toEqual(idsOf('penicillin', 'latex', 'no-allergies', 'draft-allergy'));
  });
});

describe('FHIR intake in Patient/$everything and across clinics', () => {
  it('$everything has the QuestionnaireResponses and every exported record', async () => {
    const bundle = await fhirOk<Bundle>(clinic, `/Patient/${patientId}/$everything`);
    const keys = resourcesOf(bundle).map((resource) => `${resource.resourceType}/${resource.id}`);
    for (const id of Object.values(sessions)) expect(keys).toContain(`QuestionnaireResponse/${id}`);
    const expected = {
      AllergyIntolerance: ['penicillin', 'latex', 'no-allergies', 'draft-allergy'],
      MedicationStatement: ['ibuprofen', 'no-medications', 'draft-medication'],
      Condition: ['headache', 'asthma', 'appendix'],
      FamilyMemberHistory: ['mother', 'grandmother', 'godmother'],
    };
    for (const [type, clientItemIds] of Object.entries(expected)) {
      expect(keys.filter((key) => key.startsWith(`${type}/`))).toEqual(idsOf(...clientItemIds).map((id) => `${type}/${id}`));
    }
    // The chief complaints, the social history and the note are answers of the QuestionnaireResponse only.
    const answersOnly = idsOf('complaint', 'complaint-2', 'complaint-3', 'social', 'note');
    expect(keys.filter((key) => answersOnly.some((id) => key.endsWith(`/${id}`)))).toEqual([]);
  });

  it('another clinic sees none of it', async () => {
    const other = await harness.newTenant();
    await fhirError(other, `/QuestionnaireResponse/${sessions.full}`, 404);
    for (const [type, clientItemId] of [['AllergyIntolerance', 'penicillin'], ['MedicationStatement', 'ibuprofen'], ['Condition', 'asthma'], ['FamilyMemberHistory', 'mother']]) {
      await fhirError(other, `/${type}/${records[clientItemId]}`, 404);
      expect(await idsFound(other, `/${type}?patient=${patientId}`)).toEqual([]);
      expect(await idsFound(other, `/${type}`)).toEqual([]);
    }
    expect(await idsFound(other, '/QuestionnaireResponse')).toEqual([]);
  });
});
