import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { API, addPatient, openClinic, openConversation, type TestPatient } from './support/clinic-fixture.js';
import { patientOn } from './support/conversation-driver.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

type VerifyAnswer = { verified: boolean; outcome: string; givenName: string | null; message: string };

// Wednesday 2026-11-25, 07:00 in New York.
const START = new Date('2026-11-25T12:00:00Z');
const clock = fixedClock(START);
let harness: Harness;
let clinic: TestTenant;
let phoneCounter = 700;
const nextPhone = () => `+1212555${String(phoneCounter++).padStart(4, '0')}`;

const verify = (conversationId: string, dateOfBirth: string) =>
  clinic.call<VerifyAnswer>('POST', `${API}/conversations/${conversationId}/verify`, { dateOfBirth });

/** A patient with the three conversations one phone number has: WhatsApp, SMS and a call. */
async function patientOnEveryChannel(): Promise<{ patient: TestPatient; whatsapp: string; sms: string; voice: string }> {
  const patient = await addPatient(clinic, { givenName: 'Lena', familyName: 'Park', dateOfBirth: '1979-06-30', phone: nextPhone() });
  const [whatsapp, sms, voice] = await Promise.all((['whatsapp', 'sms', 'voice'] as const).map((channel) => openConversation(harness, clinic, patient.phone, channel)));
  return { patient, whatsapp, sms, voice };
}

beforeAll(async () => {
  harness = await createHarness({ clock });
  clinic = await harness.newTenant();
  await openClinic(harness, clinic, { twilio: false });
});
afterEach(() => clock.set(START));
afterAll(() => harness.close());

describe('the identity check’s lockout', () => {
  it('holds for the phone number on every channel: five misses over WhatsApp, SMS and voice lock them all', async () => {
    const { patient, whatsapp, sms, voice } = await patientOnEveryChannel();
    const misses = [whatsapp, whatsapp, sms, sms, voice];
    const outcomes = [];
    for (const conversationId of misses) outcomes.push((await verify(conversationId, '1980-01-01')).outcome);
    expect(outcomes).toEqual(['mismatch', 'mismatch', 'mismatch', 'mismatch', 'locked']);

    // The right date of birth, on any channel, is refused while the lock holds: switching channels does not help.
    for (const conversationId of [whatsapp, sms, voice]) {
      expect(await verify(conversationId, patient.dateOfBirth)).toMatchObject({ verified: false, outcome: 'locked' });
    }
    // Guided mode, on a fresh SMS thread of the same number, hears the same.
    const texting = patientOn(harness, clinic, patient.phone, 'sms');
    await texting.say('my appointments');
    expect((await texting.say(patient.dateOfBirth)).reply).toContain('Too many attempts');
    expect((await texting.conversation()).patientId).toBeNull();

    // Another number, and the same number at another clinic, are not locked.
    const other = await addPatient(clinic, { givenName: 'Omar', familyName: 'Haddad', dateOfBirth: '1970-01-01', phone: nextPhone() });
    expect(await verify(await openConversation(harness, clinic, other.phone, 'sms'), other.dateOfBirth)).toMatchObject({ verified: true });
    const elsewhere = await harness.newTenant();
    await addPatient(elsewhere, { givenName: patient.givenName, familyName: patient.familyName, dateOfBirth: patient.dateOfBirth, phone: patient.phone });
    const elsewhereConversation = await openConversation(harness, elsewhere, patient.phone, 'whatsapp');
    expect(await elsewhere.call<VerifyAnswer>('POST', `${API}/conversations/${elsewhereConversation}/verify`, { dateOfBirth: patient.dateOfBirth })).toMatchObject({ verified: true });

    clock.advance(31 * 60_000);
    expect(await verify(voice, patient.dateOfBirth)).toMatchObject({ verified: true, outcome: 'verified' });
    // A success starts the count afresh for the number.
    for (const conversationId of [whatsapp, sms, whatsapp, sms]) expect((await verify(conversationId, '1980-01-01')).outcome).toBe('mismatch');
    expect(await verify(whatsapp, patient.dateOfBirth)).toMatchObject({ verified: true });
  });

  it('counts concurrent attempts from the number’s channels one by one: the fifth locks, none is lost', async () => {
    const { patient, whatsapp, sms, voice } = await patientOnEveryChannel();
    const attempts = [whatsapp, sms, voice, whatsapp, sms, voice, whatsapp, sms];
    const answers = await Promise.all(attempts.map((conversationId) => verify(conversationId, '1980-01-01')));
    const outcomes = answers.map((answer) => answer.outcome);
    expect(outcomes.filter((outcome) => outcome === 'mismatch'), outcomes.join()).toHaveLength(4);
    expect(outcomes.filter((outcome) => outcome === 'locked'), outcomes.join()).toHaveLength(4);
    expect(await verify(sms, patient.dateOfBirth)).toMatchObject({ verified: false, outcome: 'locked' });
  });
});
