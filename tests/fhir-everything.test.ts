import type { Bundle, Communication, Patient } from '@medplum/fhirtypes';
import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveInbound } from '../src/modules/communications/inbound.js';
import { API } from './support/clinic-fixture.js';
import { randomSid } from './support/conversation-driver.js';
import { fhirGet, fhirOk, linkOf, resourcesOf } from './support/fhir.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

let harness: Harness;
let clinic: TestTenant;
const ids = { maria: '', ana: '', hart: '', lee: '', location: '' };
const mariaAppointments: string[] = [];
let anaAppointment = '';
const messages = { mariaInbound: '', staffReply: '', anaBefore: '', mariaAfter: '' };

async function inbound(channel: 'sms' | 'whatsapp', contact: string, body: string) {
  const received = await receiveInbound(harness.services, clinic.tenant, { channel, contact, body, channelMessageId: randomSid() });
  return { conversationId: received.conversationId, messageId: received.messageId ?? '' };
}

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
  ids.location = (await clinic.call<{ id: string }>('POST', `${API}/locations`, { name: 'Harbor Street' })).id;
  const rules = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startTime: '09:00', endTime: '17:00', slotMinutes: 30, locationId: ids.location }));
  for (const [key, name] of [['hart', 'Dr. Amelia Hart'], ['lee', 'Dr. Sam Lee']] as const) {
    ids[key] = (await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name })).id;
    await clinic.call('PUT', `${API}/practitioners/${ids[key]}/schedule`, { rules });
  }
  ids.maria = (await clinic.call<{ id: string }>('POST', `${API}/patients`, { givenName: 'Maria', familyName: 'Gonzalez', dateOfBirth: '1984-03-12', phone: '+12125550123' })).id;
  ids.ana = (await clinic.call<{ id: string }>('POST', `${API}/patients`, { givenName: 'Ana', familyName: 'Gonzalez', dateOfBirth: '2012-06-01' })).id;

  const day = DateTime.now().setZone(clinic.tenant.timeZone).plus({ days: 2 }).toISODate();
  const slots = async (practitionerId: string) =>
    (await clinic.call<{ items: { startAt: string }[] }>('GET', `${API}/slots?from=${day}&to=${day}&practitionerId=${practitionerId}`)).items;
  const book = async (patientId: string, practitionerId: string, startAt: string) =>
    (await clinic.call<{ id: string }>('POST', `${API}/appointments`, { patientId, practitionerId, startAt })).id;
  const hart = await slots(ids.hart);
  const lee = await slots(ids.lee);
  for (const slot of [hart[0], hart[2], hart[4]]) mariaAppointments.push(await book(ids.maria, ids.hart, slot.startAt));
  mariaAppointments.push(await book(ids.maria, ids.lee, lee[6].startAt));
  anaAppointment = await book(ids.ana, ids.lee, lee[0].startAt);

  // Maria's own number.
  const own = await inbound('sms', '+12125550123', 'Can I come earlier?');
  messages.mariaInbound = own.messageId;
  await clinic.call('POST', `${API}/conversations/${own.conversationId}/link-patient`, { patientId: ids.maria });
  messages.staffReply = (await clinic.call<{ id: string }>('POST', `${API}/conversations/${own.conversationId}/messages`, { body: 'Yes, at 9.' })).id;
  // A family phone: Ana wrote first, then Maria took the number over.
  const shared = await inbound('whatsapp', '+12125550199', 'This is Ana, about my appointment');
  messages.anaBefore = shared.messageId;
  await clinic.call('POST', `${API}/conversations/${shared.conversationId}/link-patient`, { patientId: ids.ana });
  await clinic.call('POST', `${API}/conversations/${shared.conversationId}/link-patient`, { patientId: ids.maria });
  await sleep(5);
  messages.mariaAfter = (await inbound('whatsapp', '+12125550199', 'Maria here now')).messageId;
});
afterAll(() => harness.close());

const keysOf = (bundle: Bundle) => resourcesOf(bundle).map((resource) => `${resource.resourceType}/${resource.id}`);

describe('Patient/$everything', () => {
  it('is the patient, every appointment and message about them, and the practitioners and location they refer to', async () => {
    const response = await fhirGet<Bundle>(clinic, `/Patient/${ids.maria}/$everything`);
    expect(response.status).toBe(200);
    const bundle = response.body;
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: bundle.entry?.length });
    expect(linkOf(bundle, 'self')).toBe(`/fhir/R4/Patient/${ids.maria}/$everything`);
    expect(bundle.entry?.[0]).toMatchObject({ resource: { resourceType: 'Patient', id: ids.maria }, search: { mode: 'match' } });
    expect(bundle.entry?.slice(1).every((entry) => entry.search?.mode === 'include')).toBe(true);
    expect(keysOf(bundle)).toEqual([
      `Patient/${ids.maria}`,
      ...mariaAppointments.map((id) => `Appointment/${id}`),
      ...[messages.mariaInbound, messages.staffReply, messages.mariaAfter].map((id) => `Communication/${id}`),
      ...[ids.hart, ids.lee].sort().map((id) => `Practitioner/${id}`),
      `Location/${ids.location}`,
    ]);
    for (const entry of bundle.entry ?? []) expect(entry.fullUrl).toBe(`/fhir/R4/${entry.resource?.resourceType}/${entry.resource?.id}`);
  });

  it('leaves out what was written on a shared number before the patient took it over, for everyone', async () => {
    const ana = await fhirOk<Bundle>(clinic, `/Patient/${ids.ana}/$everything`);
    expect(keysOf(ana)).toEqual([`Patient/${ids.ana}`, `Appointment/${anaAppointment}`, `Practitioner/${ids.lee}`, `Location/${ids.location}`]);
    const before = await fhirOk<Communication>(clinic, `/Communication/${messages.anaBefore}`);
    expect(before.subject).toBeUndefined();
    expect(before.sender).toEqual({ display: '+12125550199' });
    expect((await fhirOk<Communication>(clinic, `/Communication/${messages.mariaAfter}`)).subject).toEqual({ reference: `Patient/${ids.maria}` });
  });

  it('follows a merge: the kept record has the duplicate’s appointments, the duplicate itself points at it', async () => {
    const duplicate = (await clinic.call<{ id: string }>('POST', `${API}/patients`, { givenName: 'Ana', familyName: 'Gonzales', dateOfBirth: '2012-06-01', allowDuplicate: true })).id;
    const day = DateTime.now().setZone(clinic.tenant.timeZone).plus({ days: 3 }).toISODate();
    const slot = (await clinic.call<{ items: { startAt: string }[] }>('GET', `${API}/slots?from=${day}&to=${day}&practitionerId=${ids.hart}`)).items[0];
    const moved = (await clinic.call<{ id: string }>('POST', `${API}/appointments`, { patientId: duplicate, practitionerId: ids.hart, startAt: slot.startAt })).id;
    await clinic.call('POST', `${API}/patients/${ids.ana}/merge`, { sourcePatientId: duplicate });
    expect(keysOf(await fhirOk<Bundle>(clinic, `/Patient/${ids.ana}/$everything`))).toEqual(
      expect.arrayContaining([`Appointment/${anaAppointment}`, `Appointment/${moved}`, `Practitioner/${ids.hart}`]),
    );
    const merged = await fhirOk<Bundle>(clinic, `/Patient/${duplicate}/$everything`);
    expect(keysOf(merged)).toEqual([`Patient/${duplicate}`]);
    expect(resourcesOf<Patient>(merged)[0].link).toEqual([{ other: { reference: `Patient/${ids.ana}` }, type: 'replaced-by' }]);
  });

  it('is logged like every call, by the tool it runs', async () => {
    const response = await fhirGet(clinic, `/Patient/${ids.maria}/$everything`, { key: clinic.keys.staff });
    const run = await clinic.call<{ tool: string; status: string; channel: string; actor: { kind: string }; input: unknown }>('GET', `${API}/agents/runs/${response.headers.get('x-tool-run-id')}`);
    expect(run).toMatchObject({ tool: 'fhir_patient_everything', status: 'succeeded', channel: 'fhir', actor: { kind: 'staff' }, input: { id: ids.maria } });
  });
});
