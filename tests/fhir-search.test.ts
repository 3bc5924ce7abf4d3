import type { Appointment as FhirAppointment, Bundle } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppointmentStatus } from '../src/modules/appointments/entities.js';
import { Communication } from '../src/modules/communications/entities.js';
import { receiveInbound } from '../src/modules/communications/inbound.js';
import { insertAppointments } from './support/appointment-rows.js';
import { API } from './support/clinic-fixture.js';
import { randomSid } from './support/conversation-driver.js';
import { allPages, fhirOk, idsFound, linkOf, resourcesOf } from './support/fhir.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

let harness: Harness;
let clinic: TestTenant;
const patients = { maria: '', mario: '', ana: '' };
const staff = { hart: '', lee: '', location: '' };
/** Maria's appointments, one a day from 1 to 7 March 2026 at 09:00 clinic time; Mario's late on the 3rd. */
const maria: string[] = [];
let marioLate = '';
let conversationMessages: string[] = [];
let staffMessage = '';

const mariaStatuses: AppointmentStatus[] = ['completed', 'cancelled', 'confirmed', 'booked', 'booked', 'booked', 'booked'];

/** An appointment at a clinic time, with Dr. Hart or Dr. Lee at the one location. */
async function insertAppointment(patientId: string, practitionerId: string, startLocal: string, status: AppointmentStatus): Promise<string> {
  const startAt = DateTime.fromISO(startLocal, { zone: clinic.tenant.timeZone }).toJSDate();
  const [id] = await insertAppointments(harness.services, [
    { tenantId: clinic.tenant.id, patientId, practitionerId, locationId: staff.location, startAt, status, ...(status === 'cancelled' ? { cancelReason: 'Weather' } : {}) },
  ]);
  return id;
}

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
  staff.location = (await clinic.call<{ id: string }>('POST', `${API}/locations`, { name: 'Harbor Street' })).id;
  staff.hart = (await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: 'Dr. Amelia Hart' })).id;
  staff.lee = (await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: 'Dr. Sam Lee' })).id;
  const register = async (body: Record<string, unknown>) => (await clinic.call<{ id: string }>('POST', `${API}/patients`, { ...body, allowDuplicate: true })).id;
  patients.maria = await register({ givenName: 'Maria', familyName: 'Gonzalez', dateOfBirth: '1984-03-12', sex: 'female', phone: '+12125550123', email: 'maria@example.com', identifiers: [{ system: 'MRN', value: 'A-1' }] });
  patients.mario = await register({ givenName: 'Mario', familyName: 'Gomez', dateOfBirth: '1984-07-01', sex: 'male', phone: '+12125550124' });
  patients.ana = await register({ givenName: 'Ana', familyName: 'Lopez', preferredName: 'Anita', dateOfBirth: '1990-12-31', sex: 'female' });
  for (const [index, status] of mariaStatuses.entries()) maria.push(await insertAppointment(patients.maria, staff.hart, `2026-03-0${index + 1}T09:00`, status));
  marioLate = await insertAppointment(patients.mario, staff.lee, '2026-03-03T23:30', 'booked');

  const received = await receiveInbound(harness.services, clinic.tenant, { channel: 'sms', contact: '+12125550123', body: 'Hello', channelMessageId: randomSid() });
  await clinic.call('POST', `${API}/conversations/${received.conversationId}/link-patient`, { patientId: patients.maria });
  staffMessage = (await clinic.call<{ id: string }>('POST', `${API}/conversations/${received.conversationId}/messages`, { body: 'See you soon.' })).id;
  const em = harness.services.orm.em.fork();
  em.setFilterParams('tenant', { tenantId: clinic.tenant.id });
  conversationMessages = (await em.find(Communication, { conversationId: received.conversationId }, { orderBy: { id: 'asc' } })).map((message) => message.id);
});
afterAll(() => harness.close());

const search = (path: string) => idsFound(clinic, path);
const sorted = (values: string[]) => [...values].sort();

describe('FHIR search: Patient', () => {
  it('by name: starts with (any part, any case), :contains, :exact; family; given with the preferred name', async () => {
    expect(await search('/Patient?name=mar')).toEqual(sorted([patients.maria, patients.mario]));
    expect(await search('/Patient?name=GONZ')).toEqual([patients.maria]);
    expect(await search('/Patient?name:contains=ari')).toEqual(sorted([patients.maria, patients.mario]));
    expect(await search('/Patient?name:exact=Maria')).toEqual([patients.maria]);
    expect(await search('/Patient?name:exact=maria')).toEqual([]);
    expect(await search('/Patient?family=Gom')).toEqual([patients.mario]);
    expect(await search('/Patient?given=anit')).toEqual([patients.ana]);
    // A value with LIKE's wildcards in it matches them as text.
    expect(await search('/Patient?name=%25')).toEqual([]);
  });

  it('by birthdate at the precision written, with prefixes, repeated (both hold) and with commas (either)', async () => {
    expect(await search('/Patient?birthdate=1984')).toEqual(sorted([patients.maria, patients.mario]));
    expect(await search('/Patient?birthdate=1984-03')).toEqual([patients.maria]);
    expect(await search('/Patient?birthdate=eq1984-03-12')).toEqual([patients.maria]);
    expect(await search('/Patient?birthdate=lt1984-03-12')).toEqual([]);
    expect(await search('/Patient?birthdate=le1984-03-12')).toEqual([patients.maria]);
    expect(await search('/Patient?birthdate=gt1984-03-12')).toEqual(sorted([patients.mario, patients.ana]));
    expect(await search('/Patient?birthdate=ge1985')).toEqual([patients.ana]);
    expect(await search('/Patient?birthdate=ge1984-01-01&birthdate=lt1984-05')).toEqual([patients.maria]);
    expect(await search('/Patient?birthdate=1984-03-12,1990-12-31')).toEqual(sorted([patients.maria, patients.ana]));
  });

  it('by phone in any format, email in any case, identifier, gender, _id, _lastUpdated', async () => {
    expect(await search(`/Patient?phone=${encodeURIComponent('(212) 555-0124')}`)).toEqual([patients.mario]);
    expect(await search('/Patient?email=MARIA@example.com')).toEqual([patients.maria]);
    expect(await search('/Patient?identifier=A-1')).toEqual([patients.maria]);
    expect(await search('/Patient?identifier=MRN|A-1')).toEqual([patients.maria]);
    expect(await search('/Patient?identifier=Insurer|A-1')).toEqual([]);
    expect(await search('/Patient?gender=male')).toEqual([patients.mario]);
    expect(await search(`/Patient?_id=${patients.ana},${patients.mario}`)).toEqual(sorted([patients.mario, patients.ana]));
    const hourAgo = DateTime.now().minus({ hours: 1 }).toUTC().toISO({ suppressMilliseconds: true });
    expect(await search(`/Patient?_lastUpdated=ge${encodeURIComponent(hourAgo ?? '')}`)).toHaveLength(3);
    expect(await search('/Patient?_lastUpdated=lt2020')).toEqual([]);
  });
});

describe('FHIR search: Appointment', () => {
  it('by patient as a reference, a bare id or an absolute URL, and by practitioner, location or any actor', async () => {
    expect(await search(`/Appointment?patient=Patient/${patients.maria}`)).toEqual(maria);
    expect(await search(`/Appointment?patient=${patients.maria}`)).toEqual(maria);
    expect(await search(`/Appointment?patient=${encodeURIComponent(`https://clinic.example/fhir/R4/Patient/${patients.maria}`)}`)).toEqual(maria);
    expect(await search(`/Appointment?practitioner=Practitioner/${staff.lee}`)).toEqual([marioLate]);
    expect(await search(`/Appointment?actor=Practitioner/${staff.hart}`)).toEqual(maria);
    expect(await search(`/Appointment?actor=${staff.location}`)).toEqual([...maria, marioLate]);
    expect(await search(`/Appointment?location=Location/${staff.location}&patient=${patients.mario}`)).toEqual([marioLate]);
  });

  it('by date: a day is the clinic’s day; prefixes and ranges; an instant at its precision', async () => {
    // Mario's 23:30 on the 3rd (New York) is the 4th in UTC: it belongs to the clinic's 3rd.
    expect(await search('/Appointment?date=2026-03-03')).toEqual([maria[2], marioLate]);
    expect(await search('/Appointment?date=2026-03-04')).toEqual([maria[3]]);
    expect(await search('/Appointment?date=le2026-03-02')).toEqual(maria.slice(0, 2));
    expect(await search('/Appointment?date=gt2026-03-06')).toEqual([maria[6]]);
    expect(await search('/Appointment?date=ge2026-03-03&date=lt2026-03-05')).toEqual([maria[2], maria[3], marioLate]);
    expect(await search('/Appointment?date=2026-03-04T04:30:00Z')).toEqual([marioLate]);
    expect(await search(`/Appointment?date=${encodeURIComponent('2026-03-03T23:30-05:00')}`)).toEqual([marioLate]);
    expect(await search('/Appointment?date=gt2026-03-04T04:30:00Z&date=lt2026-03-05')).toEqual([maria[3]]);
    expect(await search('/Appointment?date=2026-03-04T09:00')).toEqual([maria[3]]);
    expect(await search('/Appointment?date=2026-02')).toEqual([]);
  });

  it('by FHIR status: booked covers confirmed; a status never stored matches nothing', async () => {
    expect(await search(`/Appointment?status=booked&patient=${patients.maria}`)).toEqual(maria.slice(2));
    expect(await search('/Appointment?status=fulfilled')).toEqual([maria[0]]);
    expect(await search('/Appointment?status=cancelled,noshow')).toEqual([maria[1]]);
    expect(await search('/Appointment?status=http://hl7.org/fhir/appointmentstatus|fulfilled')).toEqual([maria[0]]);
    expect(await search('/Appointment?status=proposed')).toEqual([]);
  });
});

describe('FHIR search: Communication', () => {
  it('by patient or subject, sent and status', async () => {
    expect(conversationMessages.length).toBeGreaterThanOrEqual(2);
    expect(await search(`/Communication?patient=Patient/${patients.maria}`)).toEqual(conversationMessages);
    expect(await search(`/Communication?subject=${patients.maria}`)).toEqual(conversationMessages);
    expect(await search(`/Communication?subject:Patient=${patients.maria}&status=preparation`)).toEqual([staffMessage]);
    expect(await search(`/Communication?patient=${patients.ana}`)).toEqual([]);
    const today = DateTime.now().setZone(clinic.tenant.timeZone).toISODate();
    const inbound = conversationMessages[0];
    expect(await search(`/Communication?sent=${today}&status=completed`)).toContain(inbound);
    expect(await search(`/Communication?sent=lt${today}`)).toEqual([]);
    // The staff message is not sent yet: it has no `sent` to match.
    expect(await search(`/Communication?sent=${today}`)).not.toContain(staffMessage);
  });
});

describe('FHIR search: paging', () => {
  it('follows next links to the end: every match once, in order, the total on each page', async () => {
    const pages = await allPages(clinic, `/Appointment?patient=Patient/${patients.maria}&_count=2`);
    expect(pages.map((page) => resourcesOf(page).length)).toEqual([2, 2, 2, 1]);
    expect(pages.every((page) => page.total === 7)).toBe(true);
    expect(pages.flatMap((page) => resourcesOf(page).map((resource) => resource.id))).toEqual(maria);
    expect(linkOf(pages[0], 'self')).toBe(`/fhir/R4/Appointment?patient=Patient%2F${patients.maria}&_count=2`);
    expect(linkOf(pages[1], 'self')).toBe(linkOf(pages[0], 'next'));
    expect(linkOf(pages[3], 'next')).toBeUndefined();
    expect(pages[0].entry?.[0]).toMatchObject({ fullUrl: `/fhir/R4/Appointment/${maria[0]}`, search: { mode: 'match' } });
  });

  it('neither skips nor repeats when a resource is added between pages: it comes last', async () => {
    const first = await fhirOk<Bundle>(clinic, `/Appointment?actor=Practitioner/${staff.hart}&_count=3`);
    const added = await insertAppointment(patients.ana, staff.hart, '2026-03-01T15:00', 'booked');
    let page = first;
    const seen = resourcesOf<FhirAppointment>(first).map((resource) => resource.id);
    for (let next = linkOf(page, 'next'); next; next = linkOf(page, 'next')) {
      page = await fhirOk<Bundle>(clinic, next);
      seen.push(...resourcesOf<FhirAppointment>(page).map((resource) => resource.id));
    }
    expect(seen).toEqual([...maria, added]);
    expect(page.total).toBe(8);
  });

  it('answers _count=0 with the total alone, and takes _format=json', async () => {
    const counted = await fhirOk<Bundle>(clinic, `/Appointment?patient=${patients.maria}&_count=0&_format=json`);
    expect(counted).toMatchObject({ type: 'searchset', total: 7 });
    expect(counted.entry).toBeUndefined();
    expect(linkOf(counted, 'next')).toBeUndefined();
  });

  it('gives absolute links under PUBLIC_BASE_URL', async () => {
    const other = await createHarness({ config: { PUBLIC_BASE_URL: 'https://clinic.example/' } });
    try {
      const sameClinic = { ...clinic, request: (method: string, path: string) => Promise.resolve(other.app.request(path, { method, headers: { authorization: `Bearer ${clinic.keys.staff}` } })) };
      const page = await fhirOk<Bundle>(sameClinic, `/Practitioner?_count=1`);
      expect(linkOf(page, 'next')).toBe(`https://clinic.example/fhir/R4/Practitioner?_count=1&_cursor=${staff.hart}`);
      expect(page.entry?.[0].fullUrl).toBe(`https://clinic.example/fhir/R4/Practitioner/${staff.hart}`);
    } finally {
      await other.close();
    }
  });
});
