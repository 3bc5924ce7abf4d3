import type { Appointment, CapabilityStatement, Communication, Location, Patient, Practitioner } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveInbound } from '../src/modules/communications/inbound.js';
import { API } from './support/clinic-fixture.js';
import { randomSid } from './support/conversation-driver.js';
import { fhirError, fhirGet, fhirOk } from './support/fhir.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

let harness: Harness;
let clinic: TestTenant;
const ids = { patient: '', practitioner: '', location: '', booked: '', confirmed: '', cancelled: '', inbound: '', outbound: '', conversation: '' };
const PHONE = '+12125550123';

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
  const location = await clinic.call<{ id: string }>('POST', `${API}/locations`, { name: 'Harbor Street', address: '12 Harbor St, Boston, MA 02110', phone: '+16175550100' });
  const practitioner = await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: 'Dr. Amelia Hart', specialty: 'family medicine', email: 'hart@clinic.example', phone: '+16175550101' });
  const rules = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startTime: '09:00', endTime: '17:00', slotMinutes: 30, locationId: location.id }));
  await clinic.call('PUT', `${API}/practitioners/${practitioner.id}/schedule`, { rules });
  const patient = await clinic.call<{ id: string }>('POST', `${API}/patients`, {
    givenName: 'Maria',
    familyName: 'Gonzalez',
    preferredName: 'Mari',
    dateOfBirth: '1984-03-12',
    sex: 'female',
    phone: '(212) 555-0123',
    email: 'Maria.Gonzalez@Example.com',
    address: { line1: '5 Elm St', line2: 'Apt 2', city: 'Boston', region: 'MA', postalCode: '02110', country: 'US' },
    preferredLanguage: 'es',
    preferredChannel: 'sms',
    identifiers: [{ system: 'MRN', value: 'A-1001' }],
  });
  Object.assign(ids, { patient: patient.id, practitioner: practitioner.id, location: location.id });

  const tomorrow = DateTime.now().setZone(clinic.tenant.timeZone).plus({ days: 1 }).toISODate();
  const slots = await clinic.call<{ items: { startAt: string }[] }>('GET', `${API}/slots?from=${tomorrow}&to=${tomorrow}&practitionerId=${practitioner.id}`);
  const book = (startAt: string, reason?: string) =>
    clinic.call<{ id: string }>('POST', `${API}/appointments`, { patientId: patient.id, practitionerId: practitioner.id, startAt, ...(reason ? { reason } : {}), notes: 'Bring the X-ray' });
  ids.booked = (await book(slots.items[0].startAt, 'Knee pain')).id;
  ids.confirmed = (await book(slots.items[2].startAt)).id;
  await clinic.call('POST', `${API}/appointments/${ids.confirmed}/confirm`, {});
  ids.cancelled = (await book(slots.items[4].startAt)).id;
  await clinic.call('POST', `${API}/appointments/${ids.cancelled}/cancel`, { reason: 'Feeling better' });

  const received = await receiveInbound(harness.services, clinic.tenant, {
    channel: 'whatsapp',
    contact: PHONE,
    body: 'Hola, can I change my appointment?',
    media: [{ url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', contentType: 'image/jpeg' }],
    channelMessageId: randomSid(),
  });
  ids.conversation = received.conversationId;
  ids.inbound = received.messageId ?? '';
  await clinic.call('POST', `${API}/conversations/${ids.conversation}/link-patient`, { patientId: patient.id });
  ids.outbound = (await clinic.call<{ id: string }>('POST', `${API}/conversations/${ids.conversation}/messages`, { body: 'Yes, we will call you today.' })).id;
});
afterAll(() => harness.close());

describe('FHIR read', () => {
  it('maps a patient: identifiers, names, telecom, address, language', async () => {
    const response = await fhirGet<Patient>(clinic, `/Patient/${ids.patient}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-tool-run-id')).toMatch(/^[0-9a-f-]{36}$/);
    const stored = await clinic.call<{ updatedAt: string }>('GET', `${API}/patients/${ids.patient}`);
    expect(response.body).toEqual({
      resourceType: 'Patient',
      id: ids.patient,
      meta: { lastUpdated: stored.updatedAt },
      identifier: [{ type: { text: 'MRN' }, value: 'A-1001' }],
      active: true,
      name: [
        { use: 'official', family: 'Gonzalez', given: ['Maria'] },
        { use: 'usual', family: 'Gonzalez', given: ['Mari'] },
      ],
      telecom: [
        { system: 'phone', value: PHONE, rank: 1 },
        { system: 'email', value: 'maria.gonzalez@example.com' },
      ],
      gender: 'female',
      birthDate: '1984-03-12',
      address: [{ line: ['5 Elm St', 'Apt 2'], city: 'Boston', state: 'MA', postalCode: '02110', country: 'US' }],
      communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es' }] }, preferred: true }],
    });
  });

  it('maps a practitioner and a location', async () => {
    expect(await fhirOk<Practitioner>(clinic, `/Practitioner/${ids.practitioner}`)).toMatchObject({
      resourceType: 'Practitioner',
      active: true,
      name: [{ text: 'Dr. Amelia Hart' }],
      telecom: [
        { system: 'phone', value: '+16175550101' },
        { system: 'email', value: 'hart@clinic.example' },
      ],
    });
    expect(await fhirOk<Location>(clinic, `/Location/${ids.location}`)).toMatchObject({
      resourceType: 'Location',
      status: 'active',
      name: 'Harbor Street',
      mode: 'instance',
      address: { text: '12 Harbor St, Boston, MA 02110' },
      telecom: [{ system: 'phone', value: '+16175550100' }],
    });
  });

  it('maps appointments: FHIR statuses, the patient’s answer, participants that resolve', async () => {
    const booked = await fhirOk<Appointment>(clinic, `/Appointment/${ids.booked}`);
    const view = await clinic.call<{ startAt: string; endAt: string; createdAt: string }>('GET', `${API}/appointments/${ids.booked}`);
    expect(booked).toMatchObject({
      status: 'booked',
      start: view.startAt,
      end: view.endAt,
      minutesDuration: 30,
      created: view.createdAt,
      reasonCode: [{ text: 'Knee pain' }],
      comment: 'Bring the X-ray',
      participant: [
        { actor: { reference: `Patient/${ids.patient}` }, required: 'required', status: 'needs-action' },
        { actor: { reference: `Practitioner/${ids.practitioner}` }, required: 'required', status: 'accepted' },
        { actor: { reference: `Location/${ids.location}` }, required: 'required', status: 'accepted' },
      ],
    });
    for (const participant of booked.participant) expect((await fhirGet(clinic, `/${participant.actor?.reference}`)).status).toBe(200);

    const confirmed = await fhirOk<Appointment>(clinic, `/Appointment/${ids.confirmed}`);
    expect(confirmed.status).toBe('booked');
    expect(confirmed.participant[0].status).toBe('accepted');
    const cancelled = await fhirOk<Appointment>(clinic, `/Appointment/${ids.cancelled}`);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelationReason: { text: 'Feeling better' } });
  });

  it('maps messages: the channel as medium, the patient as subject and sender or recipient, text and files as payload', async () => {
    const inbound = await fhirOk<Communication>(clinic, `/Communication/${ids.inbound}`);
    expect(inbound).toMatchObject({
      status: 'completed',
      medium: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode', code: 'ONLINEWRIT' }], text: 'WhatsApp' }],
      subject: { reference: `Patient/${ids.patient}` },
      sender: { reference: `Patient/${ids.patient}` },
      payload: [
        { contentString: 'Hola, can I change my appointment?' },
        { contentAttachment: { url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', contentType: 'image/jpeg' } },
      ],
    });
    expect(inbound.sent).toBe(inbound.received);
    const outbound = await fhirOk<Communication>(clinic, `/Communication/${ids.outbound}`);
    expect(outbound).toMatchObject({
      subject: { reference: `Patient/${ids.patient}` },
      sender: { display: 'Clinic staff' },
      recipient: [{ reference: `Patient/${ids.patient}` }],
      payload: [{ contentString: 'Yes, we will call you today.' }],
    });
    // Not yet handed to a provider: being prepared, neither sent nor received.
    expect(outbound.status).toBe('preparation');
    expect(outbound.sent).toBeUndefined();
  });

  it('shows a merged record inactive, linked to the record kept, and a deleted one not at all', async () => {
    const duplicate = await clinic.call<{ id: string }>('POST', `${API}/patients`, { givenName: 'Maria', familyName: 'Gonzales', dateOfBirth: '1984-03-12', allowDuplicate: true });
    await clinic.call('POST', `${API}/patients/${ids.patient}/merge`, { sourcePatientId: duplicate.id });
    expect(await fhirOk<Patient>(clinic, `/Patient/${duplicate.id}`)).toMatchObject({ active: false, link: [{ other: { reference: `Patient/${ids.patient}` }, type: 'replaced-by' }] });
    expect((await fhirOk<Patient>(clinic, `/Patient/${ids.patient}`)).link).toEqual([{ other: { reference: `Patient/${duplicate.id}` }, type: 'replaces' }]);

    const gone = await clinic.call<{ id: string }>('POST', `${API}/patients`, { givenName: 'Tom', familyName: 'Gone', dateOfBirth: '1990-01-01' });
    await clinic.call('DELETE', `${API}/patients/${gone.id}`);
    await fhirError(clinic, `/Patient/${gone.id}`, 404);
  });
});

describe('FHIR metadata', () => {
  it('states exactly the types, interactions, parameters and operation served', async () => {
    const statement = await fhirOk<CapabilityStatement>(clinic, '/metadata');
    expect(statement).toMatchObject({ status: 'active', kind: 'instance', fhirVersion: '4.0.1', format: ['json'] });
    const resources = statement.rest?.[0].resource ?? [];
    expect(resources.map((resource) => resource.type)).toEqual([
      'Patient',
      'Appointment',
      'Communication',
      'QuestionnaireResponse',
      'AllergyIntolerance',
      'MedicationStatement',
      'Condition',
      'FamilyMemberHistory',
      'Practitioner',
      'Location',
    ]);
    for (const resource of resources) {
      expect(resource.interaction?.map((interaction) => interaction.code)).toEqual(['read', 'search-type']);
      // Every parameter stated is one the search takes: any answer but "unsupported search parameter".
      for (const parameter of resource.searchParam ?? []) {
        const answer = await fhirGet(clinic, `/${resource.type}?${parameter.name}=x`);
        expect(JSON.stringify(answer.body), `${resource.type}?${parameter.name}`).not.toContain('unsupported search parameter');
      }
      // And one it does not state is refused.
      expect(JSON.stringify((await fhirGet(clinic, `/${resource.type}?_sort=x`)).body)).toContain('unsupported search parameter');
    }
    const byType = Object.fromEntries(resources.map((resource) => [resource.type, resource]));
    expect(byType.Appointment.searchParam?.map((parameter) => parameter.name)).toEqual(['_id', '_lastUpdated', 'patient', 'practitioner', 'location', 'actor', 'date', 'status']);
    expect(byType.Patient.operation).toEqual([expect.objectContaining({ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' })]);
    expect(resources.filter((resource) => resource.operation)).toHaveLength(1);
  });
});
