import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awaitingConfirmation } from '../src/agent/guided/state.js';
import { guidedTurn } from '../src/agent/guided/engine.js';
import { conversationToolCaller } from '../src/agent/tool-caller.js';
import { fixedClock } from '../src/clock.js';
import { newId } from '../src/ids.js';
import { clinicProfile } from '../src/modules/conversations/clinic.js';
import { addPatient, API, openClinic, openConversation } from './support/clinic-fixture.js';
import { guidedChat } from './support/conversation-fixtures.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

// Wednesday 2026-11-25, 07:00 in New York.
const START = new Date('2026-11-25T12:00:00Z');
const clock = fixedClock(START);
let harness: Harness;

beforeAll(async () => {
  harness = await createHarness({ clock });
});
afterEach(() => clock.set(START));
afterAll(() => harness.close());

type Appointment = { id: string; patientId: string; practitionerId: string; startAt: string; status: string; cancelReason: string | null };

/**
 * Maria (verified in the chat) with appointments on Tuesday 1 December 10:00 and Thursday 3 December
 * 11:00, plus a cancelled one; Omar, on another number, with one on Wednesday 2 December 09:00.
 */
async function openVerifiedChat() {
  const clinic = await harness.newTenant({ timeZone: 'America/New_York', name: 'Harbor Clinic' });
  const { practitionerId, locationId, patient } = await openClinic(harness, clinic, { twilio: false });
  const other = await addPatient(clinic, { givenName: 'Omar', familyName: 'Haddad', dateOfBirth: '1970-01-01', phone: '+12125550177' });
  const book = (patientId: string, startAt: string) => clinic.call<Appointment>('POST', `${API}/appointments`, { patientId, practitionerId, startAt });
  const first = await book(patient.id, '2026-12-01T10:00');
  const second = await book(patient.id, '2026-12-03T11:00');
  const dropped = await book(patient.id, '2026-12-04T09:00');
  await clinic.call('POST', `${API}/appointments/${dropped.id}/cancel`, { reason: 'Clinic closed' });
  const omars = await book(other.id, '2026-12-02T09:00');
  const conversationId = await openConversation(harness, clinic, patient.phone);
  const chat = guidedChat(harness, clinic, { conversationId });
  await chat.send('menu');
  await chat.send('C'); // asks for the date of birth first
  expect(await get(clinic, first.id)).toMatchObject({ status: 'booked' });
  return { clinic, practitionerId, locationId, patient, conversationId, chat, first, second, omars };
}

const get = (clinic: TestTenant, id: string) => clinic.call<Appointment>('GET', `${API}/appointments/${id}`);

describe('guided mode: the patient’s appointments', () => {
  it('confirms the next appointment on C after verification, and says so when it is already confirmed', async () => {
    const { clinic, chat, first, second } = await openVerifiedChat();
    const confirmed = await chat.send('1984-03-12');
    expect(confirmed.reply).toBe('Thank you, Maria, you are verified.\nThank you, your appointment on Tuesday 1 December at 10:00 AM with Dr. Amelia Hart is confirmed.');
    expect(await get(clinic, first.id)).toMatchObject({ status: 'confirmed' });
    expect(await get(clinic, second.id)).toMatchObject({ status: 'booked' });
    expect((await chat.send('confirm')).reply).toBe('Your appointment on Tuesday 1 December at 10:00 AM with Dr. Amelia Hart is already confirmed. See you then!');
  });

  it('lists only the patient’s own upcoming appointments, numbered in clinic time, and a yes then confirms the next', async () => {
    const { clinic, chat, first, omars } = await openVerifiedChat();
    await chat.send('1984-03-12');
    await clinic.call('POST', `${API}/appointments/${first.id}/cancel`, { reason: 'test: the next one is the second' });
    const listed = await chat.send('1');
    expect(listed.reply).toBe(
      'Your upcoming appointment:\n1. Thursday 3 December at 11:00 AM with Dr. Amelia Hart\nReply C to confirm the next one, RESCHEDULE to move one, or CANCEL to cancel one.',
    );
    // Omar's appointment (2 December) and Maria's cancelled ones never show.
    expect(listed.reply).not.toMatch(/2 December|4 December|1 December/);
    const yes = await chat.send('yes');
    expect(yes.reply).toContain('your appointment on Thursday 3 December at 11:00 AM with Dr. Amelia Hart is confirmed');
    expect(await get(clinic, omars.id)).toMatchObject({ status: 'booked' });
  });

  it('cancels the chosen appointment only after YES, with the reason the patient gave it', async () => {
    const { clinic, chat, first, second } = await openVerifiedChat();
    await chat.send('1984-03-12');
    const which = await chat.send('4');
    expect(which.reply).toBe(
      'Which appointment do you want to cancel?\n1. Tuesday 1 December at 10:00 AM with Dr. Amelia Hart (confirmed)\n2. Thursday 3 December at 11:00 AM with Dr. Amelia Hart\nReply with its number.',
    );
    expect((await chat.send('7')).reply).toBe('Please reply with a number from 1 to 2, or MENU.');
    expect((await chat.send('2')).reply).toBe('Cancel your appointment on Thursday 3 December at 11:00 AM with Dr. Amelia Hart? Reply YES to cancel it, or NO to keep it.');
    expect((await chat.send('no')).reply).toBe('OK, your appointment stays as it is.');
    expect(await get(clinic, second.id)).toMatchObject({ status: 'booked' });

    await chat.send('cancel my appointment');
    await chat.send('2');
    const cancelled = await chat.send('Yes');
    expect(cancelled.reply).toBe('Your appointment on Thursday 3 December at 11:00 AM with Dr. Amelia Hart is cancelled. Reply 2 if you would like to book another time.');
    expect(await get(clinic, second.id)).toMatchObject({ status: 'cancelled', cancelReason: 'Cancelled by the patient over WhatsApp' });
    expect(await get(clinic, first.id)).toMatchObject({ status: 'confirmed' });
  });

  it('reschedules by number to the same practitioner’s times first, then asks to confirm the new time', async () => {
    const { clinic, practitionerId, chat, first, second } = await openVerifiedChat();
    // Another practitioner with earlier hours: the same practitioner's times are still offered first.
    const location = await clinic.call<{ id: string }>('POST', `${API}/locations`, { name: 'Bay Road' });
    const early = await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: 'Dr. Ben Okafor' });
    const rules = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startTime: '07:00', endTime: '09:00', slotMinutes: 30, locationId: location.id }));
    await clinic.call('PUT', `${API}/practitioners/${early.id}/schedule`, { rules });
    await chat.send('1984-03-12');

    expect((await chat.send('I need to reschedule')).reply).toContain('Which appointment do you want to move?');
    const offered = await chat.send('2');
    expect(offered.reply).toBe(
      [
        'Your appointment is on Thursday 3 December at 11:00 AM with Dr. Amelia Hart. Free times to move it to:',
        '1. Wednesday 25 November at 9:00 AM with Dr. Amelia Hart',
        '2. Wednesday 25 November at 9:30 AM with Dr. Amelia Hart',
        '3. Wednesday 25 November at 10:00 AM with Dr. Amelia Hart',
        '4. Wednesday 25 November at 10:30 AM with Dr. Amelia Hart',
        '5. Wednesday 25 November at 11:00 AM with Dr. Amelia Hart',
        'Reply with a number to move your appointment there, MORE for later times, or MENU.',
      ].join('\n'),
    );
    const moved = await chat.send('3');
    expect(moved.reply).toBe('Done: your appointment is now on Wednesday 25 November at 10:00 AM with Dr. Amelia Hart (Harbor Street). Reply C to confirm it.');
    expect(await get(clinic, second.id)).toMatchObject({ startAt: '2026-11-25T15:00:00.000Z', status: 'booked', practitionerId });
    expect(await get(clinic, first.id)).toMatchObject({ startAt: '2026-12-01T15:00:00.000Z' });
    await chat.send('C');
    expect(await get(clinic, second.id)).toMatchObject({ status: 'confirmed' });
  });

  it('when the new time is taken before the answer, says so, keeps the appointment and offers fresh times', async () => {
    const { clinic, practitionerId, chat, second } = await openVerifiedChat();
    const walkIn = await addPatient(clinic, { givenName: 'Ida', familyName: 'Berg', dateOfBirth: '1991-06-06', phone: '+12125550166' });
    await chat.send('1984-03-12');
    await chat.send('reschedule');
    await chat.send('2');
    await clinic.call('POST', `${API}/appointments`, { patientId: walkIn.id, practitionerId, startAt: '2026-11-25T09:00' });
    const taken = await chat.send('1');
    expect(taken.reply).toMatch(/^Sorry, that time was just taken by someone else\.\nYour appointment is on Thursday 3 December at 11:00 AM with Dr\. Amelia Hart\. Free times to move it to:\n1\. Wednesday 25 November at 9:30 AM/);
    expect(await get(clinic, second.id)).toMatchObject({ startAt: '2026-12-03T16:00:00.000Z', status: 'booked' });
    await chat.send('1');
    expect(await get(clinic, second.id)).toMatchObject({ startAt: '2026-11-25T14:30:00.000Z' });
  });

  it('fills up with other practitioners’ times when the patient’s practitioner has too few', async () => {
    const { clinic, practitionerId, locationId, chat, second } = await openVerifiedChat();
    // Dr. Hart now works only on Tuesday 1 December, 09:00-10:00; Dr. Okafor every morning.
    await clinic.call('PUT', `${API}/practitioners/${practitionerId}/schedule`, {
      rules: [{ weekday: 2, startTime: '09:00', endTime: '10:00', slotMinutes: 30, locationId, validUntil: '2026-12-01' }],
    });
    const location = await clinic.call<{ id: string }>('POST', `${API}/locations`, { name: 'Bay Road' });
    const okafor = await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: 'Dr. Ben Okafor' });
    const rules = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startTime: '08:00', endTime: '12:00', slotMinutes: 60, locationId: location.id }));
    await clinic.call('PUT', `${API}/practitioners/${okafor.id}/schedule`, { rules });
    await chat.send('1984-03-12');
    await chat.send('reschedule');
    const offered = await chat.send('2');
    expect(offered.reply.split('\n').filter((line) => /^\d\. /.test(line))).toEqual([
      '1. Tuesday 1 December at 9:00 AM with Dr. Amelia Hart',
      '2. Tuesday 1 December at 9:30 AM with Dr. Amelia Hart',
      '3. Wednesday 25 November at 8:00 AM with Dr. Ben Okafor',
      '4. Wednesday 25 November at 9:00 AM with Dr. Ben Okafor',
      '5. Wednesday 25 November at 10:00 AM with Dr. Ben Okafor',
    ]);
    const moved = await chat.send('3');
    expect(moved.reply).toContain('Done: your appointment is now on Wednesday 25 November at 8:00 AM with Dr. Ben Okafor (Bay Road).');
    expect(await get(clinic, second.id)).toMatchObject({ practitionerId: okafor.id, startAt: '2026-11-25T13:00:00.000Z' });
  });
});

describe('guided mode: nothing about anyone else, nothing after the check lapses', () => {
  it('a stored question about another patient’s appointment finds nothing and changes nothing', async () => {
    const { clinic, conversationId, chat, omars, patient } = await openVerifiedChat();
    await chat.send('1984-03-12');
    // A state naming Omar's appointment for Maria, as a confused reminder job might store it.
    const result = await guidedTurn({
      text: 'yes',
      messageKey: newId(),
      state: awaitingConfirmation({ appointmentId: omars.id, patientId: patient.id, askedAt: clock.now(), validUntil: new Date('2026-12-02T14:00:00Z') }),
      call: conversationToolCaller(harness.services, clinic.tenant, { conversationId, messageId: newId() }),
      clinic: await clinicProfile(harness.services.orm.em.fork(), clinic.tenant.id),
      now: clock.now(),
      channel: 'whatsapp',
      patientId: patient.id,
      verifiedPatient: async () => patient.id,
      givenName: 'Maria',
    });
    expect(result.reply).toBe('I could not find that appointment any more; it may have changed. Reply 1 to see your appointments.');
    expect(result.reply).not.toMatch(/December|Omar|Haddad/);
    expect(await get(clinic, omars.id)).toMatchObject({ status: 'booked' });
  });

  it('when the check lapses with options on screen, asks again before showing or doing anything', async () => {
    const { clinic, chat, second } = await openVerifiedChat();
    await chat.send('1984-03-12');
    await chat.send('cancel');
    clock.advance(25 * 3_600_000); // the check lasts 24 hours
    const asked = await chat.send('2');
    expect(asked.reply).toContain('what is your date of birth?');
    expect(asked.reply).not.toMatch(/December|Hart/);
    expect(asked.state).toMatchObject({ step: { kind: 'ask_date_of_birth', task: { name: 'cancel' } } });
    const again = await chat.send('1984-03-12');
    expect(again.reply).toContain('Which appointment do you want to cancel?');
    expect(await get(clinic, second.id)).toMatchObject({ status: 'booked' });
  });

  it('a reminder’s question: YES confirms that appointment', async () => {
    const { clinic, conversationId, chat, second, patient } = await openVerifiedChat();
    await chat.send('1984-03-12'); // verifies, and confirms the first appointment
    const result = await guidedTurn({
      text: 'YES',
      messageKey: newId(),
      state: awaitingConfirmation({ appointmentId: second.id, patientId: patient.id, askedAt: new Date('2026-11-24T12:00:00Z'), validUntil: new Date(second.startAt) }),
      call: conversationToolCaller(harness.services, clinic.tenant, { conversationId, messageId: newId() }),
      clinic: await clinicProfile(harness.services.orm.em.fork(), clinic.tenant.id),
      now: clock.now(),
      channel: 'sms',
      patientId: patient.id,
      verifiedPatient: async () => patient.id,
      givenName: 'Maria',
    });
    expect(result.reply).toBe('Thank you, your appointment on Thursday 3 December at 11:00 AM with Dr. Amelia Hart is confirmed.');
    expect(await get(clinic, second.id)).toMatchObject({ status: 'confirmed' });
  });
});
