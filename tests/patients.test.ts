import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

const BASE = '/api/v1/prm';

let harness: Harness;

beforeAll(async () => {
  harness = await createHarness();
});
afterAll(() => harness.close());

type Patient = {
  id: string;
  givenName: string;
  familyName: string;
  preferredName: string | null;
  dateOfBirth: string;
  sex: string;
  phone: string | null;
  email: string | null;
  address: Record<string, string> | null;
  status: string;
  mergedIntoId: string | null;
  deletedAt: string | null;
  identifiers: { id: string; system: string; value: string }[];
  consents: { channel: string; purpose: string; status: string }[];
};
type Candidate = { id: string; name: string; dateOfBirth: string; phone: string | null; reason: string };
type ErrorBody = { error: { code: string; message: string; issues?: { path: string; message: string }[]; details?: { candidates?: Candidate[]; [key: string]: unknown } } };
type SearchPage = { items: (Patient & { matchScore: number | null })[]; nextCursor: string | null };

const createPatient = (clinic: TestTenant, body: Record<string, unknown>) => clinic.call<Patient>('POST', `${BASE}/patients`, body);

async function errorOf(response: Response): Promise<ErrorBody['error']> {
  const body = (await response.json()) as ErrorBody;
  return body.error;
}

/** Rows of `table` that belong to the tenant, counted straight in the database. */
async function countRows(clinic: TestTenant, table: 'patient' | 'patient_identifier' | 'patient_consent' | 'domain_event'): Promise<number> {
  const rows = await harness.services.orm.em.fork().execute<{ count: string }[]>(`select count(*)::text as count from ${table} where tenant_id = ?`, [clinic.tenant.id]);
  return Number(rows[0].count);
}

async function eventTypes(clinic: TestTenant, patientId: string): Promise<string[]> {
  const rows = await harness.services.orm.em
    .fork()
    .execute<{ type: string }[]>(`select type from domain_event where tenant_id = ? and entity_id = ? order by occurred_at, id`, [clinic.tenant.id, patientId]);
  return rows.map((row) => row.type);
}

async function search(clinic: TestTenant, query: string): Promise<SearchPage> {
  return clinic.call<SearchPage>('GET', `${BASE}/patients?${query}`);
}

describe('patients: create, get, update, delete', () => {
  it('creates a patient with normalized contact details and reads it back', async () => {
    const clinic = await harness.newTenant();
    const created = await clinic.request('POST', `${BASE}/patients`, {
      body: {
        givenName: ' Ada ',
        familyName: 'Lovelace',
        dateOfBirth: '1985-12-10',
        phone: '(212) 555-0142',
        email: '  Ada.Lovelace@Example.COM ',
        address: { line1: '1 Main St', city: 'New York', country: 'us' },
        preferredLanguage: 'en',
        preferredChannel: 'sms',
        identifiers: [{ system: 'MRN', value: 'A-100' }],
      },
    });
    expect(created.status).toBe(201);
    const patient = (await created.json()) as Patient;
    expect(patient).toMatchObject({
      givenName: 'Ada',
      familyName: 'Lovelace',
      dateOfBirth: '1985-12-10',
      sex: 'unknown',
      phone: '+12125550142',
      email: 'ada.lovelace@example.com',
      address: { line1: '1 Main St', city: 'New York', country: 'US' },
      status: 'active',
      mergedIntoId: null,
      deletedAt: null,
      consents: [],
    });
    expect(patient.identifiers).toEqual([{ id: expect.any(String), system: 'MRN', value: 'A-100' }]);

    const fetched = await clinic.call<Patient>('GET', `${BASE}/patients/${patient.id}`);
    expect(fetched).toEqual(patient);
    expect(await eventTypes(clinic, patient.id)).toEqual(['patient.created']);
  });

  it('reads numbers in the clinic’s country, keeps international ones, and refuses invalid ones naming phone', async () => {
    const clinic = await harness.newTenant();
    const london = await createPatient(clinic, { givenName: 'Isambard', familyName: 'Brunel', dateOfBirth: '1970-04-09', phone: '+44 20 7946 0958' });
    expect(london.phone).toBe('+442079460958');

    for (const phone of ['555-0142', 'call me maybe', '+1 (800) 000-0000']) {
      const response = await clinic.request('POST', `${BASE}/patients`, { body: { givenName: 'Bad', familyName: 'Phone', dateOfBirth: '1990-01-01', phone } });
      expect(response.status).toBe(400);
      const error = await errorOf(response);
      expect(error.code).toBe('invalid_input');
      expect(error.issues?.map((issue) => issue.path)).toEqual(['phone']);
    }
    expect(await countRows(clinic, 'patient')).toBe(1);

    const badUpdate = await clinic.request('PATCH', `${BASE}/patients/${london.id}`, { body: { phone: '12345', givenName: 'Changed' } });
    expect(badUpdate.status).toBe(400);
    expect((await errorOf(badUpdate)).issues?.map((issue) => issue.path)).toEqual(['phone']);
    const unchanged = await clinic.call<Patient>('GET', `${BASE}/patients/${london.id}`);
    expect(unchanged).toMatchObject({ givenName: 'Isambard', phone: '+442079460958' });
  });

  it('refuses a date of birth in the future', async () => {
    const clinic = await harness.newTenant();
    const nextYear = new Date().getUTCFullYear() + 1;
    const response = await clinic.request('POST', `${BASE}/patients`, { body: { givenName: 'Not', familyName: 'Born', dateOfBirth: `${nextYear}-01-01` } });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).issues?.map((issue) => issue.path)).toEqual(['dateOfBirth']);
    expect(await countRows(clinic, 'patient')).toBe(0);
  });

  it('updates only the fields given, clears with null, and refuses an empty change', async () => {
    const clinic = await harness.newTenant();
    const patient = await createPatient(clinic, {
      givenName: 'Grace',
      familyName: 'Hopper',
      dateOfBirth: '1966-12-09',
      phone: '212 555 0199',
      email: 'grace@example.com',
      preferredName: 'Amazing',
    });
    const updated = await clinic.call<Patient>('PATCH', `${BASE}/patients/${patient.id}`, {
      preferredName: null,
      phone: '+1 646 555 0100',
      email: 'GRACE.H@Example.com',
      sex: 'female',
      address: { city: 'Arlington' },
    });
    expect(updated).toMatchObject({
      givenName: 'Grace',
      familyName: 'Hopper',
      preferredName: null,
      phone: '+16465550100',
      email: 'grace.h@example.com',
      sex: 'female',
      address: { city: 'Arlington' },
      dateOfBirth: '1966-12-09',
    });
    expect(await clinic.call<Patient>('GET', `${BASE}/patients/${patient.id}`)).toMatchObject({ preferredName: null, phone: '+16465550100', sex: 'female' });

    const empty = await clinic.request('PATCH', `${BASE}/patients/${patient.id}`, { body: {} });
    expect(empty.status).toBe(400);
    expect((await errorOf(empty)).issues?.map((issue) => issue.path)).toEqual(['(input)']);

    const nullName = await clinic.request('PATCH', `${BASE}/patients/${patient.id}`, { body: { givenName: null } });
    expect(nullName.status).toBe(400);
    expect((await errorOf(nullName)).issues?.map((issue) => issue.path)).toEqual(['givenName']);
    expect(await eventTypes(clinic, patient.id)).toEqual(['patient.created', 'patient.updated']);
  });

  it('soft-deletes: the record stays but answers 404, and only staff may delete', async () => {
    const clinic = await harness.newTenant();
    const patient = await createPatient(clinic, { givenName: 'Alan', familyName: 'Turing', dateOfBirth: '1972-06-23' });

    const asAgent = await clinic.request('DELETE', `${BASE}/patients/${patient.id}`, { key: clinic.keys.agent });
    expect(asAgent.status).toBe(403);

    const deleted = await clinic.request('DELETE', `${BASE}/patients/${patient.id}`, { key: clinic.keys.staff });
    expect(deleted.status).toBe(200);
    const view = (await deleted.json()) as Patient;
    expect(view.status).toBe('deleted');
    expect(view.deletedAt).toEqual(expect.any(String));

    expect((await clinic.request('GET', `${BASE}/patients/${patient.id}`)).status).toBe(404);
    expect((await clinic.request('PATCH', `${BASE}/patients/${patient.id}`, { body: { givenName: 'X' } })).status).toBe(404);
    expect((await clinic.request('DELETE', `${BASE}/patients/${patient.id}`)).status).toBe(404);
    expect(await countRows(clinic, 'patient')).toBe(1);
    expect((await search(clinic, 'q=turing')).items).toEqual([]);
    expect((await search(clinic, 'q=turing&includeInactive=true')).items.map((item) => [item.id, item.status])).toEqual([[patient.id, 'deleted']]);
    expect(await eventTypes(clinic, patient.id)).toEqual(['patient.created', 'patient.deleted']);
  });

  it('refuses to delete a patient with an upcoming appointment', async () => {
    const clinic = await harness.newTenant();
    const patient = await createPatient(clinic, { givenName: 'Rosalind', familyName: 'Franklin', dateOfBirth: '1980-07-25' });
    const start = new Date(Date.now() + 3 * 86_400_000);
    await insertAppointment(clinic, patient.id, start, new Date(start.getTime() + 1_800_000));
    const response = await clinic.request('DELETE', `${BASE}/patients/${patient.id}`);
    expect(response.status).toBe(422);
    expect((await errorOf(response)).details).toMatchObject({ upcomingAppointments: 1 });
    expect((await clinic.call<Patient>('GET', `${BASE}/patients/${patient.id}`)).status).toBe('active');
  });
});

describe('patients: duplicates', () => {
  it('refuses a likely duplicate with its candidates, and creates it when told to', async () => {
    const clinic = await harness.newTenant();
    const john = await createPatient(clinic, { givenName: 'John', familyName: 'Smith', dateOfBirth: '1980-04-02', phone: '(212) 555-0142' });

    // Same phone (in another format) and same date of birth, quite another name.
    const samePhone = await clinic.request('POST', `${BASE}/patients`, { body: { givenName: 'Bob', familyName: 'Jones', dateOfBirth: '1980-04-02', phone: '+1 212-555-0142' } });
    expect(samePhone.status).toBe(409);
    const samePhoneError = await errorOf(samePhone);
    expect(samePhoneError.code).toBe('conflict');
    expect(samePhoneError.message).toContain('allowDuplicate');
    expect(samePhoneError.details?.candidates).toEqual([{ id: john.id, name: 'John Smith', dateOfBirth: '1980-04-02', phone: '+12125550142', reason: 'same_phone_and_date_of_birth' }]);

    // A close name, same date of birth, no phone.
    const closeName = await clinic.request('POST', `${BASE}/patients`, { body: { givenName: 'Jon', familyName: 'Smith', dateOfBirth: '1980-04-02' } });
    expect(closeName.status).toBe(409);
    expect((await errorOf(closeName)).details?.candidates).toEqual([expect.objectContaining({ id: john.id, reason: 'similar_name_and_date_of_birth' })]);
    expect(await countRows(clinic, 'patient')).toBe(1);

    // Same name, another date of birth: someone else.
    const other = await clinic.request('POST', `${BASE}/patients`, { body: { givenName: 'John', familyName: 'Smith', dateOfBirth: '1990-04-02' } });
    expect(other.status).toBe(201);
    // A name not close enough (similarity with "john smith" below 0.5) and the same date: someone else.
    const jane = await clinic.request('POST', `${BASE}/patients`, { body: { givenName: 'Jane', familyName: 'Smith', dateOfBirth: '1980-04-02' } });
    expect(jane.status).toBe(201);

    const jon = await clinic.request('POST', `${BASE}/patients`, { body: { givenName: 'Jon', familyName: 'Smith', dateOfBirth: '1980-04-02', allowDuplicate: true } });
    expect(jon.status).toBe(201);
    const jonId = ((await jon.json()) as Patient).id;
    expect(await countRows(clinic, 'patient')).toBe(4);

    const check = await clinic.call<{ candidates: Candidate[] }>('POST', `${BASE}/patients/duplicates/check`, { givenName: 'Johnny', familyName: 'Smith', dateOfBirth: '1980-04-02' });
    expect(check.candidates.map((candidate) => candidate.id).sort()).toEqual([john.id, jonId].sort());
    expect(check.candidates.every((candidate) => candidate.reason === 'similar_name_and_date_of_birth')).toBe(true);
    expect(await countRows(clinic, 'patient')).toBe(4);

    const byPhone = await clinic.call<{ candidates: Candidate[] }>('POST', `${BASE}/patients/duplicates/check`, { givenName: 'Zed', familyName: 'Zulu', dateOfBirth: '1980-04-02', phone: '2125550142' });
    expect(byPhone.candidates).toEqual([expect.objectContaining({ id: john.id, reason: 'same_phone_and_date_of_birth' })]);

    // Deleted patients are no longer candidates.
    await clinic.call('DELETE', `${BASE}/patients/${jonId}`);
    const afterDelete = await clinic.call<{ candidates: Candidate[] }>('POST', `${BASE}/patients/duplicates/check`, { givenName: 'Johnny', familyName: 'Smith', dateOfBirth: '1980-04-02' });
    expect(afterDelete.candidates.map((candidate) => candidate.id)).toEqual([john.id]);

    const none = await clinic.call<{ candidates: Candidate[] }>('POST', `${BASE}/patients/duplicates/check`, { givenName: 'John', familyName: 'Smith', dateOfBirth: '2001-01-01' });
    expect(none.candidates).toEqual([]);
  });

  it('never lets two patients share an identifier, even with allowDuplicate', async () => {
    const clinic = await harness.newTenant();
    const first = await createPatient(clinic, { givenName: 'Marie', familyName: 'Curie', dateOfBirth: '1967-11-07', identifiers: [{ system: 'MRN', value: '12345' }] });

    const taken = await clinic.request('POST', `${BASE}/patients`, {
      body: { givenName: 'Pierre', familyName: 'Curie', dateOfBirth: '1959-05-15', identifiers: [{ system: 'MRN', value: '12345' }], allowDuplicate: true },
    });
    expect(taken.status).toBe(409);
    expect((await errorOf(taken)).details?.candidates).toEqual([expect.objectContaining({ id: first.id, reason: 'same_identifier' })]);

    const check = await clinic.call<{ candidates: Candidate[] }>('POST', `${BASE}/patients/duplicates/check`, {
      givenName: 'Pierre',
      familyName: 'Curie',
      dateOfBirth: '1959-05-15',
      identifiers: [{ system: 'MRN', value: '12345' }],
    });
    expect(check.candidates).toEqual([expect.objectContaining({ id: first.id, reason: 'same_identifier' })]);

    const twice = await clinic.request('POST', `${BASE}/patients`, {
      body: { givenName: 'Pierre', familyName: 'Curie', dateOfBirth: '1959-05-15', identifiers: [{ system: 'X', value: '1' }, { system: 'X', value: '1' }] },
    });
    expect(twice.status).toBe(400);
    expect((await errorOf(twice)).issues?.map((issue) => issue.path)).toEqual(['identifiers.1']);

    // The same value in another system is another identifier.
    const otherSystem = await createPatient(clinic, { givenName: 'Pierre', familyName: 'Curie', dateOfBirth: '1959-05-15', identifiers: [{ system: 'INSURANCE', value: '12345' }] });
    expect(otherSystem.identifiers.map((identifier) => identifier.system)).toEqual(['INSURANCE']);
    expect(await countRows(clinic, 'patient')).toBe(2);
    expect(await countRows(clinic, 'patient_identifier')).toBe(2);

    // Another clinic may use the same identifier.
    const otherClinic = await harness.newTenant();
    await createPatient(otherClinic, { givenName: 'Marie', familyName: 'Curie', dateOfBirth: '1967-11-07', identifiers: [{ system: 'MRN', value: '12345' }] });
  });

  it('lets exactly one of two simultaneous creates with the same identifier win', async () => {
    const clinic = await harness.newTenant();
    const body = (given: string, dateOfBirth: string) => ({ givenName: given, familyName: 'Racer', dateOfBirth, identifiers: [{ system: 'MRN', value: 'RACE-1' }] });
    const responses = await Promise.all([
      clinic.request('POST', `${BASE}/patients`, { body: body('Ann', '1990-01-01') }),
      clinic.request('POST', `${BASE}/patients`, { body: body('Ben', '1991-02-02') }),
    ]);
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
    expect(await countRows(clinic, 'patient')).toBe(1);
    expect(await countRows(clinic, 'patient_identifier')).toBe(1);
  });
});

describe('patients: search', () => {
  it('finds by fuzzy name, phone in any format, email, date of birth and identifier', async () => {
    const clinic = await harness.newTenant();
    const john = await createPatient(clinic, {
      givenName: 'John',
      familyName: 'Smith',
      dateOfBirth: '1980-04-02',
      phone: '(212) 555-0142',
      email: 'john@example.com',
      identifiers: [{ system: 'MRN', value: 'M-1' }],
    });
    const joan = await createPatient(clinic, { givenName: 'Joan', familyName: 'Smithson', dateOfBirth: '1975-01-20', phone: '212-555-0177', email: 'joan@example.com' });
    const ada = await createPatient(clinic, { givenName: 'Ada', familyName: 'Byron', dateOfBirth: '1980-04-02', identifiers: [{ system: 'INSURANCE', value: 'M-1' }] });

    const fuzzy = await search(clinic, 'q=jon%20smth');
    expect(fuzzy.items[0].id).toBe(john.id);
    expect(fuzzy.items[0].matchScore).toBeGreaterThan(0);
    expect(fuzzy.items.map((item) => item.id)).not.toContain(ada.id);

    const family = await search(clinic, 'q=Smith');
    expect(family.items.map((item) => item.id).sort()).toEqual([john.id, joan.id].sort());
    expect(family.items[0].id).toBe(john.id); // "smith" matches "john smith" better than "joan smithson"
    expect(family.items[0].matchScore).toBeGreaterThanOrEqual(family.items[1].matchScore ?? 0);

    expect((await search(clinic, 'q=xyzzy')).items).toEqual([]);
    // LIKE wildcards and placeholder marks in q are plain text.
    for (const q of ['%', '_', '?', "o'brien\\"]) expect((await search(clinic, `q=${encodeURIComponent(q)}`)).items).toEqual([]);
    expect((await search(clinic, `phone=${encodeURIComponent('+1 212 555 0142')}`)).items.map((item) => item.id)).toEqual([john.id]);
    expect((await search(clinic, 'phone=2125550177')).items.map((item) => item.id)).toEqual([joan.id]);
    expect((await search(clinic, 'email=JOHN@example.com')).items.map((item) => item.id)).toEqual([john.id]);
    expect((await search(clinic, 'dateOfBirth=1980-04-02')).items.map((item) => item.id).sort()).toEqual([john.id, ada.id].sort());
    expect((await search(clinic, 'identifier=M-1')).items.map((item) => item.id).sort()).toEqual([john.id, ada.id].sort());
    expect((await search(clinic, 'identifier=M-1&identifierSystem=MRN')).items.map((item) => item.id)).toEqual([john.id]);
    expect((await search(clinic, 'identifier=M-1&identifierSystem=OTHER')).items).toEqual([]);
    // Filters combine.
    expect((await search(clinic, 'dateOfBirth=1980-04-02&q=byron')).items.map((item) => item.id)).toEqual([ada.id]);
    expect((await search(clinic, '')).items.map((item) => item.id)).toEqual([ada.id, joan.id, john.id]);

    const badPhone = await clinic.request('GET', `${BASE}/patients?phone=12`);
    expect(badPhone.status).toBe(400);
    expect((await errorOf(badPhone)).issues?.map((issue) => issue.path)).toEqual(['phone']);
    const lonelySystem = await clinic.request('GET', `${BASE}/patients?identifierSystem=MRN`);
    expect(lonelySystem.status).toBe(400);
    expect((await errorOf(lonelySystem)).issues?.map((issue) => issue.path)).toEqual(['identifierSystem']);
    const badDate = await clinic.request('GET', `${BASE}/patients?dateOfBirth=1980-13-40`);
    expect(badDate.status).toBe(400);
    expect((await errorOf(badDate)).issues?.map((issue) => issue.path)).toEqual(['dateOfBirth']);
  });

  it('pages through results with keyset cursors, newest first and by best match', async () => {
    const clinic = await harness.newTenant();
    const ids: string[] = [];
    const names = ['Ana', 'Bea', 'Cai', 'Dov', 'Eli', 'Fay', 'Gus', 'Hal'];
    for (const [index, givenName] of names.entries()) {
      ids.push((await createPatient(clinic, { givenName, familyName: index % 2 === 0 ? 'Garcia' : 'Garcias', dateOfBirth: `19${60 + index}-03-0${(index % 9) + 1}` })).id);
    }

    async function allPages(query: string): Promise<{ pages: number; ids: string[] }> {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: SearchPage = await search(clinic, `${query}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        pages += 1;
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((item) => item.id));
        cursor = page.nextCursor;
      } while (cursor && pages < 10);
      return { pages, ids: seen };
    }

    const newest = await allPages('includeInactive=false');
    expect(newest.pages).toBe(3);
    expect(newest.ids).toEqual([...ids].reverse());

    const ranked = await allPages('q=garcia');
    const oneShot = await search(clinic, 'q=garcia&limit=200');
    expect(oneShot.items).toHaveLength(8);
    expect(oneShot.nextCursor).toBeNull();
    expect(ranked.pages).toBe(3);
    expect(ranked.ids).toEqual(oneShot.items.map((item) => item.id));
    expect(new Set(ranked.ids).size).toBe(8);
    // "Garcia" scores above "Garcias" for q=garcia: the exact family names come first.
    expect(oneShot.items.slice(0, 4).every((item) => item.familyName === 'Garcia')).toBe(true);

    const badCursor = await clinic.request('GET', `${BASE}/patients?q=garcia&cursor=nonsense`);
    expect(badCursor.status).toBe(400);
    expect((await errorOf(badCursor)).issues?.map((issue) => issue.path)).toEqual(['cursor']);
    // A ranked search's cursor means nothing to the newest-first order.
    const rankedCursor = (await search(clinic, 'q=garcia&limit=1')).nextCursor;
    expect(rankedCursor).toEqual(expect.any(String));
    const wrongKind = await clinic.request('GET', `${BASE}/patients?cursor=${rankedCursor}`);
    expect(wrongKind.status).toBe(400);
  });
});

/** A practitioner, a location and an appointment, written straight to the database. */
async function insertAppointment(clinic: TestTenant, patientId: string, startAt: Date, endAt: Date, status = 'booked'): Promise<string> {
  const em = harness.services.orm.em.fork();
  const [practitioner] = await em.execute<{ id: string }[]>(
    `insert into practitioner (id, tenant_id, name, active, created_at, updated_at) values (gen_random_uuid(), ?, 'Dr. Test', true, now(), now()) returning id`,
    [clinic.tenant.id],
  );
  const [location] = await em.execute<{ id: string }[]>(
    `insert into location (id, tenant_id, name, active, created_at, updated_at) values (gen_random_uuid(), ?, 'Main', true, now(), now()) returning id`,
    [clinic.tenant.id],
  );
  const [appointment] = await em.execute<{ id: string }[]>(
    `insert into appointment (id, tenant_id, patient_id, practitioner_id, location_id, start_at, end_at, status, created_at, updated_at)
     values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, now(), now()) returning id`,
    [clinic.tenant.id, patientId, practitioner.id, location.id, startAt, endAt, status],
  );
  return appointment.id;
}

