import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { Patient } from '../src/modules/patients/entities.js';
import { Ticket } from '../src/modules/tickets/entities.js';
import { ToolRun } from '../src/tools/tool-run.js';
import { tenantEntityManager } from '../src/tools/runner.js';
import { addPatient, API, openClinic, openConversation } from './support/clinic-fixture.js';
import { guidedChat, loadConversation } from './support/conversation-fixtures.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

// Wednesday 2026-11-25, 07:00 in New York: the first free slot is today at 09:00.
const START = new Date('2026-11-25T12:00:00Z');
const clock = fixedClock(START);
let harness: Harness;

beforeAll(async () => {
  harness = await createHarness({ clock });
});
afterEach(() => clock.set(START));
afterAll(() => harness.close());

type Appointment = { id: string; patientId: string; practitionerId: string; startAt: string; status: string };

/** A clinic of its own for each test: Dr. Amelia Hart every day 09:00-17:00, Maria Gonzalez (born 1984-03-12) writing on WhatsApp. */
async function openGuidedClinic(channel: 'whatsapp' | 'voice' = 'whatsapp') {
  const clinic = await harness.newTenant({ timeZone: 'America/New_York', name: 'Harbor Clinic' });
  const { practitionerId, patient } = await openClinic(harness, clinic, { twilio: false });
  const conversationId = await openConversation(harness, clinic, patient.phone, channel);
  return { clinic, practitionerId, patient, conversationId, chat: guidedChat(harness, clinic, { conversationId }) };
}

const appointmentsOf = async (clinic: TestTenant, patientId: string) =>
  (await clinic.call<{ items: Appointment[] }>('GET', `${API}/appointments?patientId=${patientId}`)).items;

// By id (UUIDv7, made in call order): with the clock pinned, every run starts at the same instant.
const runsOf = (clinic: TestTenant, conversationId: string) =>
  tenantEntityManager(harness.services, clinic.tenant.id).find(ToolRun, { conversationId }, { orderBy: { id: 'asc' } });

const numberedLines = (text: string) => text.split('\n').filter((line) => /^\d+\. /.test(line));

describe('guided mode: menu and text it cannot place', () => {
  it('answers HELP with the menu, and nonsense with an apology and the menu, reading no record', async () => {
    const { clinic, conversationId, chat } = await openGuidedClinic();
    const help = await chat.send('HELP');
    expect(numberedLines(help.reply)).toEqual(['1. My appointments', '2. Book an appointment', '3. Reschedule', '4. Cancel an appointment', '5. Talk to a person']);
    expect(help.reply).toContain('reply C to confirm your next appointment');
    expect(help).toMatchObject({ handedOff: false, state: { step: { kind: 'idle' } } });

    const first = await chat.send('purple monkey dishwasher');
    expect(first.reply).toMatch(/^Sorry, I did not understand that\.\nHow can I help\?/);
    const second = await chat.send('qwerty');
    expect(second.reply).toContain('reply 5 to talk to a person');
    expect(second.state).toMatchObject({ misses: 2 });
    expect((await chat.send('?')).reply).toContain('1. My appointments');
    expect(await runsOf(clinic, conversationId)).toEqual([]);
  });

  it('answers clinic questions without asking who is writing', async () => {
    const { clinic, conversationId, chat } = await openGuidedClinic();
    const info = await chat.send('What are your opening hours?');
    expect(info.reply).toBe('Harbor Clinic.\nReply MENU for appointments.');
    // The clinic's knowledge is asked first; with no article about it, the profile answers.
    expect((await runsOf(clinic, conversationId)).map((run) => [run.tool, run.status])).toEqual([
      ['search_knowledge', 'succeeded'],
      ['get_clinic_info', 'succeeded'],
    ]);
  });
});

describe('guided mode: identity before anything about the patient', () => {
  it('asks for the date of birth, shows nothing on a wrong one, and continues the request on the right one', async () => {
    const { clinic, practitionerId, patient, conversationId, chat } = await openGuidedClinic();
    await clinic.call('POST', `${API}/appointments`, { patientId: patient.id, practitionerId, startAt: '2026-12-01T10:00' });

    const asked = await chat.send('1');
    expect(asked.reply).toContain('what is your date of birth?');
    expect(asked.state).toMatchObject({ step: { kind: 'ask_date_of_birth', task: { name: 'list' } } });

    const wrong = await chat.send('1990-01-01');
    expect(wrong.reply).toContain('do not match our records');
    expect(wrong.reply).not.toMatch(/December|Hart/);
    expect((await loadConversation(harness, clinic, conversationId)).patientId).toBeNull();

    // A clinic in the United States reads 03/12/1984 month first: 12 March (where the convention
    // cannot tell, the patient is asked which reading: see agent-guided-dates.test.ts).
    const listed = await chat.send('03/12/1984');
    expect(listed.reply).toBe(
      'Thank you, Maria, you are verified.\nYour upcoming appointment:\n1. Tuesday 1 December at 10:00 AM with Dr. Amelia Hart\n' +
        'Reply C to confirm the next one, RESCHEDULE to move one, or CANCEL to cancel one.',
    );
    const conversation = await loadConversation(harness, clinic, conversationId);
    expect(conversation.patientId).toBe(patient.id);
    // Before verification the engine called nothing that reads the record; the runner never had to refuse it.
    const runs = await runsOf(clinic, conversationId);
    expect(runs.filter((run) => run.status !== 'succeeded')).toEqual([]);
    expect(runs.map((run) => run.tool)).toEqual(['verify_identity', 'verify_identity', 'list_appointments', 'list_practitioners']);
  });

  it('asks for the family name when two patients share the number and the birthday, and verifies the right one', async () => {
    const { clinic, practitionerId, patient, conversationId, chat } = await openGuidedClinic();
    const twin = await addPatient(clinic, { givenName: 'Lucia', familyName: 'Perez', dateOfBirth: patient.dateOfBirth, phone: patient.phone });
    await clinic.call('POST', `${API}/appointments`, { patientId: twin.id, practitionerId, startAt: '2026-12-02T09:00' });
    await clinic.call('POST', `${API}/appointments`, { patientId: patient.id, practitionerId, startAt: '2026-12-01T10:00' });

    await chat.send('my appointments');
    const familyName = await chat.send('12 March 1984');
    expect(familyName.reply).toContain('what is your family name');
    expect(familyName.state).toMatchObject({ step: { kind: 'ask_family_name', dateOfBirth: '1984-03-12' } });
    const listed = await chat.send('gonzalez');
    expect(listed.reply).toContain('Thank you, Maria, you are verified.');
    expect(listed.reply).toContain('Tuesday 1 December at 10:00 AM');
    expect(listed.reply).not.toContain('2 December');
    expect((await loadConversation(harness, clinic, conversationId)).patientId).toBe(patient.id);
  });

  it('registers an unknown number (NEW, name, date of birth), checks the date of birth, then does what was asked', async () => {
    const { clinic } = await openGuidedClinic();
    const contact = '+12125550199';
    const conversationId = await openConversation(harness, clinic, contact);
    const chat = guidedChat(harness, clinic, { conversationId });

    await chat.send('I want to book an appointment');
    const unknown = await chat.send('4 July 1990');
    expect(unknown.reply).toContain('reply NEW to register');
    expect((await chat.send('NEW')).reply).toContain('what is your full name');
    expect((await chat.send('john smith')).reply).toBe('Thanks, John. What is your date of birth? (for example 1984-03-12)');
    const registered = await chat.send('1990-07-04');
    // The answer does not say whether John was on file; the date of birth is checked like any other.
    expect(registered.reply).toContain('To finish, please confirm your date of birth');
    expect((await loadConversation(harness, clinic, conversationId)).patientId).toBeNull();
    const verified = await chat.send('July 4 1990');
    expect(verified.reply).toMatch(/^Thank you, John, you are verified\.\nThe next free times:\n1\. Wednesday 25 November at 9:00 AM with Dr\. Amelia Hart\n/);

    const [created] = await tenantEntityManager(harness.services, clinic.tenant.id).find(Patient, { phone: contact });
    expect(created).toMatchObject({ givenName: 'John', familyName: 'Smith', dateOfBirth: '1990-07-04', phone: contact });
    const conversation = await loadConversation(harness, clinic, conversationId);
    expect(conversation.patientId).toBe(created.id);
    const booked = await chat.send('1');
    expect(booked.reply).toContain('You are booked: Wednesday 25 November at 9:00 AM with Dr. Amelia Hart (Harbor Street)');
    expect((await appointmentsOf(clinic, created.id)).map((appointment) => appointment.startAt)).toEqual(['2026-11-25T14:00:00.000Z']);
  });
});

describe('guided mode: booking', () => {
  it('books end to end: menu, 2, date of birth, a number', async () => {
    const { clinic, practitionerId, patient, conversationId, chat } = await openGuidedClinic();
    expect((await chat.send('hi')).reply).toMatch(/^Hello, this is Harbor Clinic\.\nHow can I help\?/);
    expect((await chat.send('2')).state).toMatchObject({ step: { kind: 'ask_date_of_birth', task: { name: 'book' } } });
    const offered = await chat.send('March 12, 1984');
    expect(offered.reply).toBe(
      [
        'Thank you, Maria, you are verified.',
        'The next free times:',
        '1. Wednesday 25 November at 9:00 AM with Dr. Amelia Hart',
        '2. Wednesday 25 November at 9:30 AM with Dr. Amelia Hart',
        '3. Wednesday 25 November at 10:00 AM with Dr. Amelia Hart',
        '4. Wednesday 25 November at 10:30 AM with Dr. Amelia Hart',
        '5. Wednesday 25 November at 11:00 AM with Dr. Amelia Hart',
        'Reply with a number to book it, MORE for later times, or MENU.',
      ].join('\n'),
    );
    const booked = await chat.send('2');
    expect(booked).toMatchObject({
      reply: 'You are booked: Wednesday 25 November at 9:30 AM with Dr. Amelia Hart (Harbor Street). Reply MENU if you need anything else.',
      state: { step: { kind: 'idle' } },
      handedOff: false,
    });
    expect(await appointmentsOf(clinic, patient.id)).toMatchObject([{ practitionerId, startAt: '2026-11-25T14:30:00.000Z', status: 'booked' }]);
    const bookRun = (await runsOf(clinic, conversationId)).find((run) => run.tool === 'book_appointment');
    expect(bookRun).toMatchObject({ status: 'succeeded', actorKind: 'agent', channel: 'whatsapp' });
  });

  it('books with a practitioner or specialty the patient names, and says so when it knows nobody by that name', async () => {
    const { clinic, chat } = await openGuidedClinic();
    const location = await clinic.call<{ id: string }>('POST', `${API}/locations`, { name: 'Bay Road' });
    const okafor = await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: 'Dr. Ben Okafor', specialty: 'Dermatology' });
    const rules = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, startTime: '13:00', endTime: '15:00', slotMinutes: 60, locationId: location.id }));
    await clinic.call('PUT', `${API}/practitioners/${okafor.id}/schedule`, { rules });
    await chat.send('C');
    await chat.send('1984-03-12');

    for (const request of ['book with Dr Okafor', 'I need a dermatologist appointment']) {
      const offered = await chat.send(request);
      const lines = numberedLines(offered.reply);
      expect(lines, request).toHaveLength(5);
      expect(lines.every((line) => line.endsWith('with Dr. Ben Okafor')), request).toBe(true);
      expect(lines[0], request).toBe('1. Wednesday 25 November at 1:00 PM with Dr. Ben Okafor');
    }
    const anyone = await chat.send('book with Dr Nobody');
    expect(anyone.reply).toMatch(/^I could not find a practitioner matching "nobody", so here are the times with anyone\./);
    expect(numberedLines(anyone.reply)[0]).toBe('1. Wednesday 25 November at 9:00 AM with Dr. Amelia Hart');
  });

  it('leaves out times when the patient already has another appointment', async () => {
    const { clinic, patient, chat } = await openGuidedClinic();
    const okafor = await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: 'Dr. Ben Okafor' });
    const location = await clinic.call<{ id: string }>('POST', `${API}/locations`, { name: 'Bay Road' });
    const rules = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startTime: '09:00', endTime: '10:00', slotMinutes: 60, locationId: location.id }));
    await clinic.call('PUT', `${API}/practitioners/${okafor.id}/schedule`, { rules });
    await clinic.call('POST', `${API}/appointments`, { patientId: patient.id, practitionerId: okafor.id, startAt: '2026-11-25T09:00' });
    await chat.send('book');
    const offered = await chat.send('1984-03-12');
    // 09:00 and 09:30 with Dr. Hart overlap Maria's 09:00-10:00 with Dr. Okafor.
    expect(numberedLines(offered.reply)).toEqual([
      '1. Wednesday 25 November at 10:00 AM with Dr. Amelia Hart',
      '2. Wednesday 25 November at 10:30 AM with Dr. Amelia Hart',
      '3. Wednesday 25 November at 11:00 AM with Dr. Amelia Hart',
      '4. Wednesday 25 November at 11:30 AM with Dr. Amelia Hart',
      '5. Wednesday 25 November at 12:00 PM with Dr. Amelia Hart',
    ]);
  });

  it('when the chosen time is taken before the answer, says so, offers fresh times and books one of them', async () => {
    const { clinic, practitionerId, patient, chat } = await openGuidedClinic();
    const other = await addPatient(clinic, { givenName: 'Omar', familyName: 'Haddad', dateOfBirth: '1970-01-01', phone: '+12125550177' });
    await chat.send('book');
    const offered = await chat.send('1984-03-12');
    expect(numberedLines(offered.reply)[0]).toBe('1. Wednesday 25 November at 9:00 AM with Dr. Amelia Hart');
    // Someone else takes 09:00 while the patient reads the list.
    await clinic.call('POST', `${API}/appointments`, { patientId: other.id, practitionerId, startAt: '2026-11-25T09:00' });

    const taken = await chat.send('1');
    expect(taken.reply).toMatch(/^Sorry, that time was just taken by someone else\.\nThe next free times:\n1\. Wednesday 25 November at 9:30 AM with Dr\. Amelia Hart\n/);
    expect(taken.reply).not.toContain('9:00 AM');
    expect(await appointmentsOf(clinic, patient.id)).toEqual([]);
    const booked = await chat.send('1');
    expect(booked.reply).toContain('You are booked: Wednesday 25 November at 9:30 AM');
    expect((await appointmentsOf(clinic, patient.id)).map((appointment) => appointment.startAt)).toEqual(['2026-11-25T14:30:00.000Z']);
  });

  it('does not act on a list offered more than 30 minutes ago: it offers the current times instead', async () => {
    const { clinic, patient, chat } = await openGuidedClinic();
    await chat.send('2');
    await chat.send('1984-03-12');
    clock.advance(31 * 60_000);
    const restarted = await chat.send('1');
    expect(restarted.reply).toMatch(/^Sorry, that was a while ago and things may have changed\.\nThe next free times:\n1\. /);
    expect(await appointmentsOf(clinic, patient.id)).toEqual([]);
    await chat.send('1');
    expect(await appointmentsOf(clinic, patient.id)).toHaveLength(1);
  });

  it('stops on "cancel that", and a number afterwards means the menu again', async () => {
    const { clinic, patient, chat } = await openGuidedClinic();
    await chat.send('2');
    await chat.send('1984-03-12');
    const stopped = await chat.send('cancel that');
    expect(stopped.reply).toMatch(/^OK, I stopped that\.\nHow can I help\?/);
    expect(stopped.state).toMatchObject({ step: { kind: 'idle' } });
    expect((await chat.send('1')).reply).toBe('You have no upcoming appointments. Reply 2 to book one.');
    expect(await appointmentsOf(clinic, patient.id)).toEqual([]);
  });

  it('offers later times on MORE', async () => {
    const { chat } = await openGuidedClinic();
    await chat.send('2');
    await chat.send('1984-03-12');
    const later = await chat.send('more');
    expect(numberedLines(later.reply)).toEqual([
      '1. Wednesday 25 November at 11:30 AM with Dr. Amelia Hart',
      '2. Wednesday 25 November at 12:00 PM with Dr. Amelia Hart',
      '3. Wednesday 25 November at 12:30 PM with Dr. Amelia Hart',
      '4. Wednesday 25 November at 1:00 PM with Dr. Amelia Hart',
      '5. Wednesday 25 November at 1:30 PM with Dr. Amelia Hart',
    ]);
  });
});

describe('guided mode: a person', () => {
  it('hands off on "talk to a person": a ticket, the conversation with staff, the operation’s message', async () => {
    const { clinic, conversationId, chat } = await openGuidedClinic();
    const result = await chat.send('Can I talk to a person please');
    expect(result.handedOff).toBe(true);
    expect(result.reply).toContain('I have passed your message to our team at Harbor Clinic.');
    const conversation = await loadConversation(harness, clinic, conversationId);
    expect(conversation.handledBy).toBe('staff');
    const ticket = await tenantEntityManager(harness.services, clinic.tenant.id).findOneOrFail(Ticket, { conversationId });
    expect(conversation.handoffTicketId).toBe(ticket.id);
    expect(ticket).toMatchObject({ category: 'handoff', priority: 'normal', patientId: null });
    expect(ticket.description).toContain('The patient wrote: "Can I talk to a person please"');
  });

  it('treats a possible emergency as urgent: 911 first, then an urgent ticket', async () => {
    const { clinic, conversationId, chat } = await openGuidedClinic();
    const result = await chat.send('I have chest pain and feel dizzy');
    expect(result.reply).toMatch(/^If this is an emergency, call 911 or go to the nearest emergency room now\.\nI have passed your message/);
    expect(result.handedOff).toBe(true);
    const ticket = await tenantEntityManager(harness.services, clinic.tenant.id).findOneOrFail(Ticket, { conversationId });
    expect(ticket.priority).toBe('urgent');
  });

  it('hands off on 5 from the menu, in the middle of a flow too, telling staff where the patient was', async () => {
    const { clinic, conversationId, chat } = await openGuidedClinic();
    await chat.send('2');
    const result = await chat.send('agent');
    expect(result.handedOff).toBe(true);
    const ticket = await tenantEntityManager(harness.services, clinic.tenant.id).findOneOrFail(Ticket, { conversationId });
    expect(ticket.description).toContain('Was being asked to verify their identity (to book).');
  });
});

describe('guided mode: on the phone', () => {
  it('speaks options instead of numbered lists and books by "option two"', async () => {
    const { clinic, patient, chat } = await openGuidedClinic('voice');
    const menu = await chat.send('menu');
    expect(menu.reply).toContain('Say option 1 to hear your appointments');
    expect(menu.reply).not.toMatch(/\n|^\d\./m);
    expect((await chat.send('option 2')).reply).toContain('please say your date of birth');
    const offered = await chat.send('March 12th, 1984');
    expect(offered.reply).toContain('Option 1, Wednesday 25 November at 9:00 AM with Dr. Amelia Hart. Option 2, Wednesday 25 November at 9:30 AM');
    expect(offered.reply).toContain('Say the option number to book it');
    expect(offered.reply).not.toMatch(/\n|\d\. |Reply/);
    const booked = await chat.send('Option two.');
    expect(booked.reply).toBe('You are booked: Wednesday 25 November at 9:30 AM with Dr. Amelia Hart (Harbor Street). Say MENU if you need anything else.');
    expect((await appointmentsOf(clinic, patient.id)).map((appointment) => appointment.startAt)).toEqual(['2026-11-25T14:30:00.000Z']);
  });
});
