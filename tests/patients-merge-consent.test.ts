import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../src/context.js';
import { hasConsent } from '../src/modules/patients/service.js';
import { tenantEntityManager } from '../src/tools/runner.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

const BASE = '/api/v1/prm';

let harness: Harness;

beforeAll(async () => {
  harness = await createHarness();
});
afterAll(() => harness.close());

type Patient = { id: string; givenName: string; email: string | null; phone: string | null; status: string; identifiers: { system: string; value: string }[]; consents: Consent[] };
type Consent = { channel: string; purpose: string; status: string; recordedAt: string };
type ConsentRow = Consent & { id: string; patientId: string; source: string; recordedBy: string; note: string | null };
type ErrorBody = { error: { code: string; message: string; issues?: { path: string }[]; details?: Record<string, unknown> } };

const createPatient = (clinic: TestTenant, body: Record<string, unknown>) => clinic.call<Patient>('POST', `${BASE}/patients`, body);

async function errorOf(response: Response): Promise<ErrorBody['error']> {
  return ((await response.json()) as ErrorBody).error;
}

const sql = <Row>(text: string, params: unknown[]) => harness.services.orm.em.fork().execute<Row[]>(text, params);

async function countRows(clinic: TestTenant, table: 'patient' | 'patient_identifier' | 'patient_consent' | 'domain_event' | 'ticket' | 'appointment'): Promise<number> {
  const [row] = await sql<{ count: string }>(`select count(*)::text as count from ${table} where tenant_id = ?`, [clinic.tenant.id]);
  return Number(row.count);
}

/** A practitioner, a location and an appointment, written straight to the database. */
async function insertAppointment(clinic: TestTenant, patientId: string, startAt: Date, endAt: Date): Promise<string> {
  const [practitioner] = await sql<{ id: string }>(
    `insert into practitioner (id, tenant_id, name, active, created_at, updated_at) values (gen_random_uuid(), ?, 'Dr. Test', true, now(), now()) returning id`,
    [clinic.tenant.id],
  );
  const [location] = await sql<{ id: string }>(
    `insert into location (id, tenant_id, name, active, created_at, updated_at) values (gen_random_uuid(), ?, 'Main', true, now(), now()) returning id`,
    [clinic.tenant.id],
  );
  const [appointment] = await sql<{ id: string }>(
    `insert into appointment (id, tenant_id, patient_id, practitioner_id, location_id, start_at, end_at, status, created_at, updated_at)
     values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, 'booked', now(), now()) returning id`,
    [clinic.tenant.id, patientId, practitioner.id, location.id, startAt, endAt],
  );
  return appointment.id;
}

async function patientOf(table: 'appointment' | 'ticket', id: string): Promise<string> {
  const [row] = await sql<{ patient_id: string }>(`select patient_id from ${table} where id = ?`, [id]);
  return row.patient_id;
}

/** What other modules get: a context as the runner would build it, for a direct service call. */
function contextFor(clinic: TestTenant): AppContext {
  return createContext(harness.services, { tenant: clinic.tenant, actor: { kind: 'system', id: 'test', role: 'system' }, channel: 'system' }, tenantEntityManager(harness.services, clinic.tenant.id));
}

describe('patients: merge', () => {
  it('moves appointments, tickets, identifiers and consents to the kept record', async () => {
    const clinic = await harness.newTenant();
    const keep = await createPatient(clinic, { givenName: 'Katherine', familyName: 'Johnson', dateOfBirth: '1968-08-26', identifiers: [{ system: 'MRN', value: 'K-1' }] });
    const duplicate = await createPatient(clinic, {
      givenName: 'Kathy',
      familyName: 'Johnson',
      dateOfBirth: '1968-08-26',
      email: 'kathy@example.com',
      phone: '(212) 555-0123',
      identifiers: [{ system: 'INSURANCE', value: 'INS-9' }],
      allowDuplicate: true,
    });
    const older = await createPatient(clinic, { givenName: 'K.', familyName: 'Johnson', dateOfBirth: '1968-08-26', allowDuplicate: true });

    const start = new Date(Date.now() + 86_400_000);
    const appointmentId = await insertAppointment(clinic, duplicate.id, start, new Date(start.getTime() + 1_800_000));
    const ticket = await clinic.call<{ id: string }>('POST', `${BASE}/tickets`, { subject: 'Wants a callback', patientId: duplicate.id });
    await clinic.call('POST', `${BASE}/patients/${duplicate.id}/consents`, { channel: 'sms', purpose: 'appointment_reminders' });
    // An earlier merge into the duplicate: it must end up pointing at the kept record.
    await clinic.call('POST', `${BASE}/patients/${duplicate.id}/merge`, { sourcePatientId: older.id });

    const asAgent = await clinic.request('POST', `${BASE}/patients/${keep.id}/merge`, { key: clinic.keys.agent, body: { sourcePatientId: duplicate.id } });
    expect(asAgent.status).toBe(403);

    const response = await clinic.request('POST', `${BASE}/patients/${keep.id}/merge`, { key: clinic.keys.staff, body: { sourcePatientId: duplicate.id } });
    expect(response.status).toBe(200);
    const merged = (await response.json()) as { patient: Patient; mergedPatientId: string; moved: Record<string, number>; filledFields: string[] };
    expect(merged.mergedPatientId).toBe(duplicate.id);
    expect(merged.moved).toEqual({ appointments: 1, tickets: 1, identifiers: 1, consents: 1, conversations: 0, media: 0, intakeSessions: 0 });
    expect(merged.filledFields.sort()).toEqual(['email', 'phone']);
    expect(merged.patient).toMatchObject({ id: keep.id, givenName: 'Katherine', email: 'kathy@example.com', phone: '+12125550123', status: 'active' });
    expect(merged.patient.identifiers.map((identifier) => `${identifier.system}:${identifier.value}`).sort()).toEqual(['INSURANCE:INS-9', 'MRN:K-1']);
    expect(merged.patient.consents).toEqual([expect.objectContaining({ channel: 'sms', purpose: 'appointment_reminders', status: 'granted' })]);

    expect(await patientOf('appointment', appointmentId)).toBe(keep.id);
    expect(await patientOf('ticket', ticket.id)).toBe(keep.id);
    const tickets = await clinic.call<{ items: { id: string }[] }>('GET', `${BASE}/tickets?patientId=${keep.id}`);
    expect(tickets.items.map((item) => item.id)).toEqual([ticket.id]);

    for (const gone of [duplicate.id, older.id]) {
      const get = await clinic.request('GET', `${BASE}/patients/${gone}`);
      expect(get.status).toBe(422);
      const error = await errorOf(get);
      expect(error.details).toEqual({ mergedIntoId: keep.id });
      expect(error.message).toContain(keep.id);
    }
    const [events] = await sql<{ count: string }>(`select count(*)::text as count from domain_event where tenant_id = ? and entity_id = ? and type = 'patient.merged'`, [
      clinic.tenant.id,
      keep.id,
    ]);
    expect(Number(events.count)).toBe(1);
  });

  it('refuses self, merged, deleted and unknown patients, changing nothing', async () => {
    const clinic = await harness.newTenant();
    const keep = await createPatient(clinic, { givenName: 'Dorothy', familyName: 'Vaughan', dateOfBirth: '1970-09-20' });
    const gone = await createPatient(clinic, { givenName: 'Mary', familyName: 'Jackson', dateOfBirth: '1971-04-09' });
    const deleted = await createPatient(clinic, { givenName: 'Annie', familyName: 'Easley', dateOfBirth: '1972-04-23' });
    const other = await createPatient(clinic, { givenName: 'Christine', familyName: 'Darden', dateOfBirth: '1973-09-10' });
    await clinic.call('POST', `${BASE}/patients/${other.id}/merge`, { sourcePatientId: gone.id });
    await clinic.call('DELETE', `${BASE}/patients/${deleted.id}`);
    const eventsBefore = await countRows(clinic, 'domain_event');

    const cases: [string, unknown, number][] = [
      [keep.id, { sourcePatientId: keep.id }, 422],
      [keep.id, { sourcePatientId: gone.id }, 422],
      [keep.id, { sourcePatientId: deleted.id }, 422],
      [deleted.id, { sourcePatientId: keep.id }, 422],
      [gone.id, { sourcePatientId: keep.id }, 422],
      [keep.id, { sourcePatientId: '018f0000-0000-7000-8000-000000000000' }, 404],
      ['018f0000-0000-7000-8000-000000000000', { sourcePatientId: keep.id }, 404],
    ];
    for (const [id, body, status] of cases) {
      const response = await clinic.request('POST', `${BASE}/patients/${id}/merge`, { body });
      expect({ id, body, status: response.status }).toEqual({ id, body, status });
    }
    expect(await countRows(clinic, 'domain_event')).toBe(eventsBefore);
    expect((await clinic.call<Patient>('GET', `${BASE}/patients/${keep.id}`)).status).toBe('active');
  });

  it('refuses a merge that would double-book the patient, and rolls everything back', async () => {
    const clinic = await harness.newTenant();
    const keep = await createPatient(clinic, { givenName: 'Hedy', familyName: 'Lamarr', dateOfBirth: '1974-11-09' });
    const duplicate = await createPatient(clinic, { givenName: 'Hedwig', familyName: 'Kiesler', dateOfBirth: '1974-11-09', identifiers: [{ system: 'MRN', value: 'H-1' }] });
    const start = new Date(Date.now() + 2 * 86_400_000);
    await insertAppointment(clinic, keep.id, start, new Date(start.getTime() + 3_600_000));
    const clash = await insertAppointment(clinic, duplicate.id, new Date(start.getTime() + 1_800_000), new Date(start.getTime() + 5_400_000));
    const ticket = await clinic.call<{ id: string }>('POST', `${BASE}/tickets`, { subject: 'Question', patientId: duplicate.id });

    const response = await clinic.request('POST', `${BASE}/patients/${keep.id}/merge`, { body: { sourcePatientId: duplicate.id } });
    expect(response.status).toBe(409);
    expect((await errorOf(response)).message).toMatch(/appointment/);

    expect(await patientOf('appointment', clash)).toBe(duplicate.id);
    expect(await patientOf('ticket', ticket.id)).toBe(duplicate.id);
    const stillThere = await clinic.call<Patient>('GET', `${BASE}/patients/${duplicate.id}`);
    expect(stillThere.status).toBe('active');
    expect(stillThere.identifiers).toEqual([expect.objectContaining({ system: 'MRN', value: 'H-1' })]);
  });
});

describe('patients: consent', () => {
  it('grants, revokes and keeps the history; hasConsent follows the latest choice, channel or all', async () => {
    const clinic = await harness.newTenant();
    const patient = await createPatient(clinic, { givenName: 'Florence', familyName: 'Nightingale', dateOfBirth: '1960-05-12' });
    const path = `${BASE}/patients/${patient.id}/consents`;
    const ctx = contextFor(clinic);
    const may = (channel: 'sms' | 'whatsapp' | 'email' | 'all', purpose: 'appointment_reminders' | 'marketing') =>
      hasConsent(contextFor(clinic), { patientId: patient.id, channel, purpose });

    expect(await hasConsent(ctx, { patientId: patient.id, channel: 'sms', purpose: 'appointment_reminders' })).toBe(false);

    const granted = await clinic.request('POST', path, { key: clinic.keys.agent, body: { channel: 'sms', purpose: 'appointment_reminders', note: 'Said yes on the phone' } });
    expect(granted.status).toBe(201);
    const grant = (await granted.json()) as ConsentRow;
    expect(grant).toMatchObject({ patientId: patient.id, channel: 'sms', purpose: 'appointment_reminders', status: 'granted', source: 'rest', note: 'Said yes on the phone' });
    expect(grant.recordedBy).toMatch(/^key:/);
    expect(await may('sms', 'appointment_reminders')).toBe(true);
    expect(await may('email', 'appointment_reminders')).toBe(false);

    await clinic.call('POST', `${path}/revoke`, { channel: 'sms', purpose: 'appointment_reminders' });
    expect(await may('sms', 'appointment_reminders')).toBe(false);

    // "all" covers every channel, until something later says otherwise.
    await clinic.call('POST', path, { channel: 'all', purpose: 'marketing' });
    expect(await may('whatsapp', 'marketing')).toBe(true);
    expect(await may('email', 'marketing')).toBe(true);
    await clinic.call('POST', `${path}/revoke`, { channel: 'email', purpose: 'marketing' });
    expect(await may('email', 'marketing')).toBe(false);
    expect(await may('whatsapp', 'marketing')).toBe(true);
    await clinic.call('POST', `${path}/revoke`, { channel: 'all', purpose: 'marketing' });
    expect(await may('whatsapp', 'marketing')).toBe(false);
    await clinic.call('POST', path, { channel: 'whatsapp', purpose: 'marketing' });
    expect(await may('whatsapp', 'marketing')).toBe(true);
    expect(await may('sms', 'marketing')).toBe(false);

    const list = await clinic.call<{ current: Consent[]; history: ConsentRow[] }>('GET', path);
    expect(list.history.map((row) => `${row.status}:${row.channel}:${row.purpose}`)).toEqual([
      'granted:whatsapp:marketing',
      'revoked:all:marketing',
      'revoked:email:marketing',
      'granted:all:marketing',
      'revoked:sms:appointment_reminders',
      'granted:sms:appointment_reminders',
    ]);
    expect(list.current.map((row) => `${row.status}:${row.channel}:${row.purpose}`)).toEqual([
      'granted:whatsapp:marketing',
      'revoked:all:marketing',
      'revoked:email:marketing',
      'revoked:sms:appointment_reminders',
    ]);
    const detail = await clinic.call<Patient>('GET', `${BASE}/patients/${patient.id}`);
    expect(detail.consents).toEqual(list.current);
    expect(await countRows(clinic, 'patient_consent')).toBe(6);

    // Another clinic sees none of it, even with the id.
    const otherClinic = await harness.newTenant();
    expect(await hasConsent(contextFor(otherClinic), { patientId: patient.id, channel: 'whatsapp', purpose: 'marketing' })).toBe(false);
  });

  it('refuses consent for unknown, merged and deleted patients and for bad channels', async () => {
    const clinic = await harness.newTenant();
    const keep = await createPatient(clinic, { givenName: 'Mary', familyName: 'Seacole', dateOfBirth: '1961-11-23' });
    const merged = await createPatient(clinic, { givenName: 'M.', familyName: 'Seacole', dateOfBirth: '1961-11-23', allowDuplicate: true });
    const deleted = await createPatient(clinic, { givenName: 'Edith', familyName: 'Cavell', dateOfBirth: '1965-12-04' });
    await clinic.call('POST', `${BASE}/patients/${keep.id}/merge`, { sourcePatientId: merged.id });
    await clinic.call('DELETE', `${BASE}/patients/${deleted.id}`);
    const body = { channel: 'sms', purpose: 'care_messages' };

    expect((await clinic.request('POST', `${BASE}/patients/${merged.id}/consents`, { body })).status).toBe(422);
    expect((await clinic.request('POST', `${BASE}/patients/${deleted.id}/consents`, { body })).status).toBe(404);
    expect((await clinic.request('POST', `${BASE}/patients/018f0000-0000-7000-8000-000000000000/consents`, { body })).status).toBe(404);
    expect((await clinic.request('GET', `${BASE}/patients/${deleted.id}/consents`)).status).toBe(404);

    const badChannel = await clinic.request('POST', `${BASE}/patients/${keep.id}/consents`, { body: { channel: 'pigeon', purpose: 'care_messages' } });
    expect(badChannel.status).toBe(400);
    expect((await errorOf(badChannel)).issues?.map((issue) => issue.path)).toEqual(['channel']);
    const badPurpose = await clinic.request('POST', `${BASE}/patients/${keep.id}/consents/revoke`, { body: { channel: 'sms', purpose: 'spam' } });
    expect(badPurpose.status).toBe(400);
    expect((await errorOf(badPurpose)).issues?.map((issue) => issue.path)).toEqual(['purpose']);
    expect(await countRows(clinic, 'patient_consent')).toBe(0);
  });
});

describe('patients: tenant isolation', () => {
  it('hides one clinic’s patients from another clinic’s keys', async () => {
    const clinic = await harness.newTenant();
    const other = await harness.newTenant();
    const patient = await createPatient(clinic, {
      givenName: 'Private',
      familyName: 'Person',
      dateOfBirth: '1982-02-02',
      phone: '(212) 555-0142',
      email: 'private@example.com',
      identifiers: [{ system: 'MRN', value: 'P-1' }],
    });
    const mine = await createPatient(other, { givenName: 'Other', familyName: 'Clinic', dateOfBirth: '1983-03-03' });
    const path = `${BASE}/patients/${patient.id}`;

    expect((await other.request('GET', path)).status).toBe(404);
    expect((await other.request('PATCH', path, { body: { givenName: 'Hacked' } })).status).toBe(404);
    expect((await other.request('DELETE', path)).status).toBe(404);
    expect((await other.request('POST', `${path}/merge`, { body: { sourcePatientId: mine.id } })).status).toBe(404);
    expect((await other.request('POST', `${BASE}/patients/${mine.id}/merge`, { body: { sourcePatientId: patient.id } })).status).toBe(404);
    expect((await other.request('GET', `${path}/consents`)).status).toBe(404);
    expect((await other.request('POST', `${path}/consents`, { body: { channel: 'sms', purpose: 'marketing' } })).status).toBe(404);

    for (const query of ['q=private%20person', 'phone=2125550142', 'email=private@example.com', 'dateOfBirth=1982-02-02', 'identifier=P-1', 'includeInactive=true']) {
      const page = await other.call<{ items: { id: string }[] }>('GET', `${BASE}/patients?${query}`);
      expect(page.items.map((item) => item.id)).not.toContain(patient.id);
    }
    // The whole list of the other clinic is its one patient: nothing of ours counted, paged or ranked.
    for (const query of ['limit=1', 'limit=1&includeInactive=true', 'limit=1&q=person']) {
      const page = await other.call<{ items: { id: string }[]; nextCursor: string | null }>('GET', `${BASE}/patients?${query}`);
      expect({ query, page }).toEqual({ query, page: { items: query.includes('q=') ? [] : [expect.objectContaining({ id: mine.id })], nextCursor: null } });
    }
    const duplicates = await other.call<{ candidates: unknown[] }>('POST', `${BASE}/patients/duplicates/check`, {
      givenName: 'Private',
      familyName: 'Person',
      dateOfBirth: '1982-02-02',
      phone: '2125550142',
      identifiers: [{ system: 'MRN', value: 'P-1' }],
    });
    expect(duplicates.candidates).toEqual([]);

    const untouched = await clinic.call<Patient & { status: string }>('GET', path);
    expect(untouched).toMatchObject({ givenName: 'Private', status: 'active' });
    expect(await countRows(clinic, 'patient_consent')).toBe(0);
  });
});

describe('patients: bad input', () => {
  it('answers 4xx naming the field on every route, and writes nothing', async () => {
    const clinic = await harness.newTenant();
    const patient = await createPatient(clinic, { givenName: 'Valid', familyName: 'Patient', dateOfBirth: '1990-01-01' });
    const before = {
      patients: await countRows(clinic, 'patient'),
      identifiers: await countRows(clinic, 'patient_identifier'),
      consents: await countRows(clinic, 'patient_consent'),
      events: await countRows(clinic, 'domain_event'),
    };
    const p = `${BASE}/patients`;
    const cases: [method: string, path: string, body: unknown, fields: string[]][] = [
      ['POST', p, { familyName: 'X', dateOfBirth: '1990-01-01' }, ['givenName']],
      ['POST', p, { givenName: 'X', familyName: 'Y', dateOfBirth: '01/02/1990' }, ['dateOfBirth']],
      ['POST', p, { givenName: 'X', familyName: 'Y', dateOfBirth: '1990-01-01', email: 'not-an-email' }, ['email']],
      ['POST', p, { givenName: 'X', familyName: 'Y', dateOfBirth: '1990-01-01', sex: 'robot' }, ['sex']],
      ['POST', p, { givenName: 'X', familyName: 'Y', dateOfBirth: '1990-01-01', preferredChannel: 'fax' }, ['preferredChannel']],
      ['POST', p, { givenName: 'X', familyName: 'Y', dateOfBirth: '1990-01-01', identifiers: [{ system: 'MRN' }] }, ['identifiers.0.value']],
      ['POST', p, { givenName: 'X', familyName: 'Y', dateOfBirth: '1990-01-01', address: { city: 'Paris', country: 'France' } }, ['address.country']],
      ['POST', p, { givenName: 'X', familyName: 'Y', dateOfBirth: '1990-01-01', allowDuplicate: 'yes' }, ['allowDuplicate']],
      ['POST', `${p}/duplicates/check`, { givenName: 'X', familyName: 'Y' }, ['dateOfBirth']],
      ['GET', `${p}/not-a-uuid`, undefined, ['id']],
      ['GET', `${p}?limit=0`, undefined, ['limit']],
      ['GET', `${p}?includeInactive=maybe`, undefined, ['includeInactive']],
      ['PATCH', `${p}/${patient.id}`, { email: 'nope' }, ['email']],
      ['PATCH', `${p}/${patient.id}`, { dateOfBirth: '1990-02-30' }, ['dateOfBirth']],
      ['PATCH', `${p}/not-a-uuid`, { givenName: 'X' }, ['id']],
      ['DELETE', `${p}/not-a-uuid`, undefined, ['id']],
      ['POST', `${p}/${patient.id}/merge`, {}, ['sourcePatientId']],
      ['POST', `${p}/${patient.id}/merge`, { sourcePatientId: 'abc' }, ['sourcePatientId']],
      ['POST', `${p}/${patient.id}/consents`, { channel: 'sms' }, ['purpose']],
      ['POST', `${p}/${patient.id}/consents/revoke`, { channel: 'sms', purpose: 'marketing', note: '' }, ['note']],
      ['GET', `${p}/not-a-uuid/consents`, undefined, ['patientId']],
    ];
    for (const [method, path, body, fields] of cases) {
      const response = await clinic.request(method, path, { body });
      const error = await errorOf(response);
      expect({ method, path, status: response.status, fields: error.issues?.map((issue) => issue.path) }).toEqual({ method, path, status: 400, fields });
    }

    // Unknown fields are refused too: the message names them.
    const extra = await clinic.request('POST', p, { body: { givenName: 'X', familyName: 'Y', dateOfBirth: '1990-01-01', ssn: '123' } });
    expect(extra.status).toBe(400);
    expect((await errorOf(extra)).message).toContain('ssn');

    expect({
      patients: await countRows(clinic, 'patient'),
      identifiers: await countRows(clinic, 'patient_identifier'),
      consents: await countRows(clinic, 'patient_consent'),
      events: await countRows(clinic, 'domain_event'),
    }).toEqual(before);
    expect(await clinic.call<Patient>('GET', `${p}/${patient.id}`)).toMatchObject({ givenName: 'Valid', email: null, status: 'active' });
  });

  it('lists every patient operation as a tool with its access rules', async () => {
    const clinic = await harness.newTenant();
    const { tools } = await clinic.call<{ tools: { name: string; access: { roles: string[]; phi: boolean; patientScoped: boolean }; annotations: { destructive: boolean; readOnly: boolean } }[] }>(
      'GET',
      `${BASE}/agents/tools`,
    );
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    const names = ['create_patient', 'find_patient_duplicates', 'get_patient', 'search_patients', 'update_patient', 'delete_patient', 'merge_patients', 'grant_consent', 'revoke_consent', 'list_consents'];
    for (const name of names) expect(byName.get(name)?.access.phi, name).toBe(true);
    expect(byName.get('delete_patient')).toMatchObject({ access: { roles: ['admin', 'staff'] }, annotations: { destructive: true } });
    expect(byName.get('merge_patients')).toMatchObject({ access: { roles: ['admin', 'staff'] }, annotations: { destructive: true } });
    expect(byName.get('find_patient_duplicates')?.annotations.readOnly).toBe(true);
    expect(names.filter((name) => byName.get(name)?.access.patientScoped)).toEqual(['grant_consent', 'revoke_consent', 'list_consents']);

    const openapi = await clinic.call<{ paths: Record<string, Record<string, { operationId: string }>> }>('GET', '/openapi.json');
    const documented = Object.entries(openapi.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => `${operation.operationId} ${method} ${path}`));
    expect(documented).toEqual(
      expect.arrayContaining([
        'create_patient post /api/v1/prm/patients',
        'search_patients get /api/v1/prm/patients',
        'find_patient_duplicates post /api/v1/prm/patients/duplicates/check',
        'get_patient get /api/v1/prm/patients/{id}',
        'update_patient patch /api/v1/prm/patients/{id}',
        'delete_patient delete /api/v1/prm/patients/{id}',
        'merge_patients post /api/v1/prm/patients/{id}/merge',
        'grant_consent post /api/v1/prm/patients/{patientId}/consents',
        'list_consents get /api/v1/prm/patients/{patientId}/consents',
        'revoke_consent post /api/v1/prm/patients/{patientId}/consents/revoke',
      ]),
    );
  });
});
