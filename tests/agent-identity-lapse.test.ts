import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { Ticket } from '../src/modules/tickets/entities.js';
import { tenantEntityManager } from '../src/tools/runner.js';
import { addPatient, API, openClinic, type TestPatient } from './support/clinic-fixture.js';
import { patientOn } from './support/conversation-driver.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { scriptedModel, text, toolCall } from './support/mock-model.js';
import { startTwilioApi } from './support/twilio-api.js';

/**
 * What the sender sees once the identity check no longer holds for the patient whose records were
 * shown: after `PRM_VERIFICATION_HOURS`, or when someone else sharing the number verifies.
 */

// Wednesday 2026-11-25, 07:00 in New York.
const START = new Date('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const clock = fixedClock(START);
let harness: Harness;
let clinic: TestTenant;
let practitionerId: string;
let phoneCounter = 800;
const nextPhone = () => `+1212555${String(phoneCounter++).padStart(4, '0')}`;

type Appointment = { id: string; status: string };

/**
 * A clinic of its own (Dr. Amelia Hart every day), with Maria and her son Leo sharing one phone; Maria
 * has an appointment on Tuesday 1 December at 10:00.
 */
async function sharedPhone() {
  clinic = await harness.newTenant({ timeZone: 'America/New_York', name: 'Harbor Clinic' });
  practitionerId = (await openClinic(harness, clinic)).practitionerId;
  const phone = nextPhone();
  const maria = await addPatient(clinic, { givenName: 'Maria', familyName: 'Gonzalez', dateOfBirth: '1984-03-12', phone });
  const leo = await addPatient(clinic, { givenName: 'Leo', familyName: 'Gonzalez', dateOfBirth: '2008-05-05', phone });
  const appointment = await clinic.call<Appointment>('POST', `${API}/appointments`, { patientId: maria.id, practitionerId, startAt: '2026-12-01T10:00' });
  return { phone, maria, leo, appointment };
}

const appointmentStatus = async (id: string) => (await clinic.call<Appointment>('GET', `${API}/appointments/${id}`)).status;

/** Every message the model was given in its calls, system prompt included, as one text. */
const promptsOf = (scripted: ReturnType<typeof scriptedModel>) => JSON.stringify(scripted.model.doGenerateCalls.map((call) => call.prompt));

/** Runs one turn with a model that answers `steps`, and returns what it was shown. */
async function modelTurn(driver: ReturnType<typeof patientOn>, message: string, steps: Parameters<typeof scriptedModel>[0]) {
  const scripted = scriptedModel(steps);
  harness.services.agentModel = scripted.agent;
  const turn = await driver.say(message);
  return { ...turn, prompt: promptsOf(scripted), scripted };
}

/** Maria verifies through the model and is told her appointment: the words every later check looks for. */
async function mariaHearsHerAppointment(driver: ReturnType<typeof patientOn>, maria: TestPatient) {
  const told = await modelTurn(driver, 'Hi, it is Maria, born 1984-03-12. When is my appointment?', [
    toolCall('verify_identity', { dateOfBirth: maria.dateOfBirth }),
    toolCall('list_appointments', {}),
    text('Maria, your appointment is on Tuesday 1 December at 10:00 with Dr. Amelia Hart.'),
  ]);
  expect(told.reply).toContain('Tuesday 1 December');
  expect((await driver.conversation()).patientId).toBe(maria.id);
}

const FROM_MARIAS_TIME = ['Tuesday 1 December', 'Amelia Hart', 'When is my appointment', '1984-03-12'];

let twilioApi: Awaited<ReturnType<typeof startTwilioApi>>;

beforeAll(async () => {
  // Replies are delivered (to a stand-in of Twilio): the agent reads only what the patient was sent.
  twilioApi = await startTwilioApi();
  harness = await createHarness({ clock, config: { TWILIO_API_BASE_URL: twilioApi.url } });
});
beforeEach(() => {
  harness.services.agentModel = undefined;
});
afterEach(() => clock.set(START));
afterAll(async () => {
  await harness.close();
  await twilioApi.close();
});

describe('the model loop, once the verification no longer holds', () => {
  it('is given nothing from the verified period after it lapses, until the patient verifies again', async () => {
    const { phone, maria } = await sharedPhone();
    const driver = patientOn(harness, clinic, phone);
    await mariaHearsHerAppointment(driver, maria);
    clock.advance(HOUR);
    const still = await modelTurn(driver, 'thanks', [text('You are welcome.')]);
    expect(still.prompt).toContain('Tuesday 1 December');

    clock.advance(24 * HOUR); // the check held 24 hours
    const lapsed = await modelTurn(driver, 'remind me of my appointment?', [text('Please tell me your date of birth first.')]);
    expect(lapsed.prompt).toContain('remind me of my appointment?');
    expect(lapsed.prompt).toContain('is NOT verified');
    for (const words of [...FROM_MARIAS_TIME, 'You are welcome', 'thanks']) expect(lapsed.prompt).not.toContain(words);
    expect(lapsed.reply).toBe('Please tell me your date of birth first.');

    // The same patient verifying again reads on from where she was.
    clock.advance(60_000);
    await modelTurn(driver, '1984-03-12', [toolCall('verify_identity', { dateOfBirth: maria.dateOfBirth }), text('Thank you, you are verified.')]);
    clock.advance(60_000);
    const again = await modelTurn(driver, 'so when is it?', [text('On Tuesday.')]);
    expect(again.prompt).toContain('Tuesday 1 December');
  });

  it('never gives another patient on the same number the first one’s messages: verified in a turn, after the lapse, or linked by staff', async () => {
    for (const how of ['by staff', 'in a turn', 'after the lapse'] as const) {
      clock.set(START);
      const { phone, maria, leo } = await sharedPhone();
      const driver = patientOn(harness, clinic, phone);
      await mariaHearsHerAppointment(driver, maria);
      clock.advance(how === 'after the lapse' ? 25 * HOUR : 10 * 60_000);

      if (how === 'by staff') {
        await clinic.call('POST', `${API}/conversations/${(await driver.conversation()).id}/link-patient`, { patientId: leo.id });
      } else {
        const switched = await modelTurn(driver, 'This is Leo now, born 2008-05-05', [
          toolCall('verify_identity', { dateOfBirth: leo.dateOfBirth }),
          text('Thank you, Leo, you are verified.'),
        ]);
        if (how === 'after the lapse') for (const words of FROM_MARIAS_TIME) expect(switched.prompt, how).not.toContain(words);
      }
      expect((await driver.conversation()).patientId).toBe(leo.id);

      clock.advance(60_000);
      const next = await modelTurn(driver, 'what appointments do I have?', [text('Let me look.')]);
      expect(next.prompt).toContain('what appointments do I have?');
      expect(next.prompt).toContain('verified as Leo');
      for (const words of FROM_MARIAS_TIME) expect(next.prompt, how).not.toContain(words);
      // Written while Maria was still verified, it went with her; after the lapse, it is Leo's own.
      if (how === 'in a turn') expect(next.prompt).not.toContain('This is Leo now');
      if (how === 'after the lapse') expect(next.prompt).toContain('This is Leo now');
    }
  });

  it('keeps out a reply the model wrote while verified but stored after the check lapsed', async () => {
    const { phone, maria } = await sharedPhone();
    const driver = patientOn(harness, clinic, phone);
    await mariaHearsHerAppointment(driver, maria);
    clock.advance(24 * HOUR - 60_000);
    const slow = scriptedModel(async () => {
      clock.advance(5 * 60_000); // the check lapses while the model thinks
      return text('Your next visit is the one on Tuesday with Dr. Hart; bring your insurance card.');
    });
    harness.services.agentModel = slow.agent;
    expect((await driver.say('anything to bring to my visit?')).reply).toContain('insurance card');

    clock.advance(60_000);
    const after = await modelTurn(driver, 'what did you say?', [text('Please verify first.')]);
    expect(after.prompt).toContain('what did you say?');
    for (const words of [...FROM_MARIAS_TIME, 'insurance card', 'anything to bring']) expect(after.prompt).not.toContain(words);
  });
});

describe('guided mode, once the verification no longer holds', () => {
  it('does not show or act on options offered to another patient verified before on the number', async () => {
    const { phone, maria, leo, appointment } = await sharedPhone();
    const later = await clinic.call<Appointment>('POST', `${API}/appointments`, { patientId: maria.id, practitionerId, startAt: '2026-12-03T11:00' });
    const texting = patientOn(harness, clinic, phone);
    await texting.say('cancel my appointment');
    const offered = await texting.say(maria.dateOfBirth);
    expect(offered.reply).toContain('Which appointment do you want to cancel?');
    expect(offered.reply).toContain('Tuesday 1 December');

    // Staff identify Leo on a call and link him; he then answers what is still on the screen.
    clock.advance(5 * 60_000);
    await clinic.call('POST', `${API}/conversations/${offered.conversationId}/link-patient`, { patientId: leo.id });
    const picked = await texting.say('1');
    for (const words of ['December', 'Hart', 'Cancel your appointment']) expect(picked.reply).not.toContain(words);
    expect(picked.reply).toContain('no upcoming appointments');
    const yes = await texting.say('YES');
    expect(yes.reply).not.toContain('cancelled');
    expect([await appointmentStatus(appointment.id), await appointmentStatus(later.id)]).toEqual(['booked', 'booked']);
  });

  it('after the check lapses, a yes to a pending question asks who is writing, and a handoff ticket carries nothing of it', async () => {
    const { phone, maria, appointment } = await sharedPhone();
    const texting = patientOn(harness, clinic, phone);
    await texting.say('cancel my appointment');
    expect((await texting.say(maria.dateOfBirth)).reply).toContain('Cancel your appointment on Tuesday 1 December');

    clock.advance(25 * HOUR);
    const yes = await texting.say('YES');
    expect(yes.reply).toContain('what is your date of birth?');
    for (const words of ['December', 'Hart', 'cancelled']) expect(yes.reply).not.toContain(words);
    expect(await appointmentStatus(appointment.id)).toBe('booked');

    // The pending question again, then a person asked for after the lapse.
    clock.advance(60_000);
    await texting.say(maria.dateOfBirth);
    clock.advance(25 * HOUR);
    const handedOff = await texting.say('agent');
    expect(handedOff.turn.outcome).toBe('handed_off');
    const conversation = await texting.conversation();
    const ticket = await tenantEntityManager(harness.services, clinic.tenant.id).findOneOrFail(Ticket, { id: conversation.handoffTicketId ?? '' });
    for (const words of ['December', 'Hart', '1984-03-12']) expect(ticket.description ?? '').not.toContain(words);
  });
});
