import { newId } from '../../src/ids.js';
import { Conversation } from '../../src/modules/conversations/entities.js';
import type { Harness, TestTenant } from './harness.js';

export const API = '/api/v1/prm';
export const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
export const ACCOUNT_SID = `AC${'0'.repeat(31)}1`;

/** Clinic numbers are unique across tenants; each test clinic draws its own. */
const randomNumber = (areaCode: string) => `+1${areaCode}555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;

export type TestPatient = { id: string; phone: string; dateOfBirth: string; givenName: string; familyName: string };

/**
 * A clinic ready to talk to patients: a practitioner seeing patients every day 09:00-17:00 in
 * 30-minute slots, a patient with a phone, and (optionally) a Twilio account with both numbers.
 */
export async function openClinic(harness: Harness, clinic: TestTenant, options: { twilio?: boolean; phone?: string } = {}) {
  const location = await clinic.call<{ id: string }>('POST', `${API}/locations`, { name: 'Harbor Street' });
  const practitioner = await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: 'Dr. Amelia Hart', specialty: 'family medicine' });
  const rules = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startTime: '09:00', endTime: '17:00', slotMinutes: 30, locationId: location.id }));
  await clinic.call('PUT', `${API}/practitioners/${practitioner.id}/schedule`, { rules });
  const patient = await addPatient(clinic, { givenName: 'Maria', familyName: 'Gonzalez', dateOfBirth: '1984-03-12', phone: options.phone ?? '+12125550123' });
  const numbers = options.twilio === false ? { phone: '', whatsapp: '' } : await connectTwilio(clinic);
  return { practitionerId: practitioner.id, locationId: location.id, patient, numbers };
}

/** Sets the clinic's Twilio account with an SMS/voice and a WhatsApp number of its own (drawn until free). */
export async function connectTwilio(clinic: TestTenant): Promise<{ phone: string; whatsapp: string }> {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const candidate = { phone: randomNumber('646'), whatsapp: randomNumber('415') };
    const response = await clinic.request('PUT', `${API}/channels/twilio`, {
      body: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, phoneNumber: candidate.phone, whatsappNumber: candidate.whatsapp },
    });
    if (response.status === 200) return candidate;
    if (response.status !== 409) throw new Error(`Setting the Twilio account answered ${response.status}: ${await response.text()}`);
  }
  throw new Error('No free pair of clinic numbers after 10 draws');
}

export async function addPatient(clinic: TestTenant, patient: Omit<TestPatient, 'id'> & { preferredLanguage?: string }): Promise<TestPatient> {
  const created = await clinic.call<{ id: string }>('POST', `${API}/patients`, { ...patient, allowDuplicate: true });
  return { ...patient, id: created.id };
}

/** A conversation row for `contact`, as the first inbound message would create it. */
export async function openConversation(harness: Harness, clinic: TestTenant, contact: string, channel: Conversation['channel'] = 'whatsapp'): Promise<string> {
  const em = harness.services.orm.em.fork();
  const now = new Date();
  const conversation = em.create(Conversation, {
    id: newId(),
    tenantId: clinic.tenant.id,
    channel,
    contact,
    clinicAddress: null,
    patientId: null,
    verifiedUntil: null,
    historyFrom: null,
    status: 'open',
    handledBy: 'bot',
    handoffTicketId: null,
    optedOutAt: null,
    state: {},
    lastMessageAt: now,
    closedAt: null,
    createdAt: now,
    updatedAt: now,
  });
  await em.flush();
  return conversation.id;
}
