import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { Patient } from '../src/modules/patients/entities.js';
import { ToolRun } from '../src/tools/tool-run.js';
import { tenantEntityManager } from '../src/tools/runner.js';
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

describe('registration tells a stranger nothing about who is on file', () => {
  const register = (conversationId: string, person: { givenName: string; familyName: string; dateOfBirth: string }) =>
    clinic.request('POST', `${API}/conversations/${conversationId}/register`, { body: person });
  const patientsNamed = (givenName: string, familyName: string) => tenantEntityManager(harness.services, clinic.tenant.id).find(Patient, { givenName, familyName });

  it('answers the same whether or not the name and date of birth are on file, and makes no duplicate', async () => {
    const onFile = await addPatient(clinic, { givenName: 'Ines', familyName: 'Moreau', dateOfBirth: '1988-10-02', phone: nextPhone() });
    const stranger = await openConversation(harness, clinic, nextPhone(), 'sms');
    const newcomerPhone = nextPhone();
    const newcomer = await openConversation(harness, clinic, newcomerPhone, 'sms');

    const known = await register(stranger, { givenName: 'Ines', familyName: 'Moreau', dateOfBirth: '1988-10-02' });
    const unknown = await register(newcomer, { givenName: 'Paul', familyName: 'Fontaine', dateOfBirth: '1992-04-17' });
    expect([known.status, unknown.status]).toEqual([200, 200]);
    const [knownBody, unknownBody] = [await known.json(), await unknown.json()];
    expect(knownBody).toEqual(unknownBody);
    expect(knownBody).toMatchObject({ nextStep: 'verify_identity' });
    // The run log, which staff read, says the same.
    const runs = (await tenantEntityManager(harness.services, clinic.tenant.id).find(ToolRun, { tool: 'register_patient' }, { orderBy: { id: 'asc' } })).filter((run) =>
      [stranger, newcomer].includes((run.input as { conversationId: string }).conversationId),
    );
    expect(runs.map((run) => [run.status, run.output])).toEqual([
      ['succeeded', knownBody],
      ['succeeded', unknownBody],
    ]);

    expect((await patientsNamed('Ines', 'Moreau')).map((patient) => patient.id)).toEqual([onFile.id]);
    const [paul] = await patientsNamed('Paul', 'Fontaine');
    expect(paul).toMatchObject({ dateOfBirth: '1992-04-17', phone: newcomerPhone });
    // Nobody is verified by registering: the date of birth is checked next, against this number's records.
    expect(await verify(newcomer, '1992-04-17')).toMatchObject({ verified: true, givenName: 'Paul' });
    expect(await verify(stranger, '1988-10-02')).toMatchObject({ verified: false, outcome: 'mismatch' });

    // The real patient, on their own number, registering again: the same answer, then verified as themselves.
    const own = await openConversation(harness, clinic, onFile.phone, 'whatsapp');
    const again = await register(own, { givenName: 'Ines', familyName: 'Moreau', dateOfBirth: '1988-10-02' });
    expect(await again.json()).toEqual(unknownBody);
    expect(await verify(own, '1988-10-02')).toMatchObject({ verified: true, givenName: 'Ines' });
    expect((await patientsNamed('Ines', 'Moreau')).map((patient) => patient.id)).toEqual([onFile.id]);
  });

  it('in guided mode, gives the same replies to a stranger using a known name as to a newcomer', async () => {
    await addPatient(clinic, { givenName: 'Rosa', familyName: 'Lind', dateOfBirth: '1975-12-24', phone: nextPhone() });
    const replies = async (contact: string, name: string, dateOfBirth: string) => {
      const texting = patientOn(harness, clinic, contact, 'sms');
      const said = [];
      for (const text of ['NEW', name, dateOfBirth]) said.push((await texting.say(text)).reply);
      return { said, patientId: (await texting.conversation()).patientId };
    };
    const stranger = await replies(nextPhone(), 'Rosa Lind', '1975-12-24');
    const newcomer = await replies(nextPhone(), 'Vera Lind', '1975-12-24');
    expect(stranger.said.map((reply) => reply?.replace('Vera', 'Rosa'))).toEqual(newcomer.said.map((reply) => reply?.replace('Vera', 'Rosa')));
    expect(stranger.said[2]).toContain('please confirm your date of birth');
    expect([stranger.patientId, newcomer.patientId]).toEqual([null, null]);
  });
});
