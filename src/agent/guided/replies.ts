import { DateTime } from 'luxon';
import type { AppointmentChoice, PractitionerChoice, SlotChoice, SlotSearch } from './state.js';
import type { TimeOfDay, When } from './when.js';

/**
 * Every text guided mode says to a patient, in one place: short, plain, no codes or ids. Texts are
 * written for messaging; `spoken` adapts any of them for the phone, and the few that differ in shape
 * (the menu, lists) take `voice`.
 */

// ---- building blocks --------------------------------------------------------------------------

/** "Tuesday 1 December at 9:30 AM", from a clinic-local ISO time. English on purpose: the texts are. */
export function when(localIso: string): string {
  return DateTime.fromISO(localIso, { setZone: true }).setLocale('en').toFormat("cccc d LLLL 'at' h:mm a");
}

/** "12 March 1984". */
export function dayText(isoDate: string): string {
  return DateTime.fromISO(isoDate).setLocale('en').toFormat('d LLLL yyyy');
}

/** A menu number as the patient should send it: "2" in writing, "option 2" on the phone. */
const option = (voice: boolean, number: number) => (voice ? `option ${number}` : `${number}`);
const confirmKey = (voice: boolean) => (voice ? 'confirm' : 'C');

/** Numbered lines in writing; "Option 1, ... Option 2, ..." on the phone. */
export function numbered(voice: boolean, lines: string[]): string {
  return voice ? lines.map((line, index) => `Option ${index + 1}, ${line}.`).join(' ') : lines.map((line, index) => `${index + 1}. ${line}`).join('\n');
}

export const join = (...parts: (string | undefined)[]): string => parts.filter((part) => part !== undefined && part !== '').join('\n');

/**
 * A reply made for the phone: one paragraph, "say" for "reply", ISO dates in words. Applied to every
 * voice reply, including the operations' own messages ("reply AGENT ...").
 */
export function spoken(text: string): string {
  return text
    .replace(/\b(\d{4}-\d{2}-\d{2})\b/g, (date) => dayText(date))
    .replace(/\bReply\b/g, 'Say')
    .replace(/\breply\b/g, 'say')
    // A line break is a pause in writing; spoken, a line without an ending needs a full stop.
    .replace(/([^.!?:,\s])\s*\n+\s*/g, '$1. ')
    .replace(/\s*\n+\s*/g, ' ')
    .trim();
}

const appointmentLine = (appointment: AppointmentChoice) =>
  `${when(appointment.startLocal)}${appointment.practitionerName ? ` with ${appointment.practitionerName}` : ''}${appointment.status === 'confirmed' ? ' (confirmed)' : ''}`;
const appointmentName = (appointment: AppointmentChoice) =>
  `${when(appointment.startLocal)}${appointment.practitionerName ? ` with ${appointment.practitionerName}` : ''}`;
const slotLine = (slot: SlotChoice) => `${when(slot.startLocal)} with ${slot.practitionerName}`;

// ---- menu and small talk ------------------------------------------------------------------------

export function menu(voice: boolean): string {
  if (voice) {
    return 'How can I help? Say option 1 to hear your appointments, option 2 to book, option 3 to reschedule, option 4 to cancel, or option 5 to talk to a person. To confirm your next appointment, say confirm.';
  }
  return join(
    'How can I help? Reply with a number:',
    numbered(false, ['My appointments', 'Book an appointment', 'Reschedule', 'Cancel an appointment', 'Talk to a person']),
    'Or reply C to confirm your next appointment.',
  );
}

export const greeting = (clinicName: string, givenName: string | null) => `Hello${givenName ? ` ${givenName}` : ''}, this is ${clinicName}.`;
export const notUnderstood = (voice: boolean, misses: number) =>
  misses >= 2 ? `Sorry, I still did not understand. I can only help with the options below; for anything else, reply ${option(voice, 5)} to talk to a person.` : 'Sorry, I did not understand that.';
export const stopped = 'OK, I stopped that.';
export const moreHelp = (voice: boolean) => (voice ? 'Anything else? Say menu to hear the options.' : 'Anything else? Reply MENU for the options.');
export const welcome = 'You are welcome. Reply MENU any time.';
export const acknowledged = 'OK. Reply MENU any time.';
export const confirmWhat = (voice: boolean) => `Do you want to confirm your next appointment? Reply ${confirmKey(voice)} to confirm it, or MENU to see what I can do.`;
export const expired = 'Sorry, that was a while ago and things may have changed.';

// ---- identity ---------------------------------------------------------------------------------

export const askDateOfBirth = (voice: boolean) =>
  voice
    ? 'First, to keep your information private, please say your date of birth, for example 12 March 1984. If you are a new patient, say new.'
    : 'First, to keep your information private: what is your date of birth? (for example 1984-03-12)\nNew patient? Reply NEW.';
export const dateNotRead = 'Sorry, I could not read that date. Please send your date of birth like 1984-03-12 or 12 March 1984.';
export const whichDate = (voice: boolean, dates: [string, string]) =>
  join(`Did you mean ${dayText(dates[0])} or ${dayText(dates[1])}?`, numbered(voice, dates.map(dayText)), voice ? 'Say option 1 or option 2.' : 'Reply 1 or 2.');
export const familyNameNotRead = 'Please send your family name (last name) as it is on your records.';
export const askFullName = 'Welcome! To register you, what is your full name (first and last name)?';
export const fullNameNeeded = 'Please send your first and last name, for example Ana Ruiz.';
export const askRegistrationDateOfBirth = (givenName: string) => `Thanks, ${givenName}. What is your date of birth? (for example 1984-03-12)`;
export const alreadyVerified = (givenName: string | null) => `You are already verified${givenName ? ` as ${givenName}` : ''}, so there is nothing to register.`;

// ---- appointments -----------------------------------------------------------------------------

export const noUpcoming = (voice: boolean) => `You have no upcoming appointments. Reply ${option(voice, 2)} to book one.`;

export function appointmentList(voice: boolean, appointments: AppointmentChoice[], more: boolean, nextNeedsConfirming: boolean): string {
  return join(
    appointments.length === 1 ? 'Your upcoming appointment:' : 'Your upcoming appointments:',
    numbered(voice, appointments.map(appointmentLine)),
    more ? `There are more later; reply ${option(voice, 5)} if you need help with those.` : undefined,
    nextNeedsConfirming
      ? `Reply ${confirmKey(voice)} to confirm the next one, RESCHEDULE to move one, or CANCEL to cancel one.`
      : 'Reply RESCHEDULE to move one, CANCEL to cancel one, or MENU.',
  );
}

export const confirmed = (appointment: AppointmentChoice) => `Thank you, your appointment on ${appointmentName(appointment)} is confirmed.`;
export const alreadyConfirmed = (appointment: AppointmentChoice) => `Your appointment on ${appointmentName(appointment)} is already confirmed. See you then!`;
export const cannotConfirm = (voice: boolean, appointment: AppointmentChoice) =>
  `Your appointment on ${appointmentName(appointment)} can no longer be confirmed. Reply ${option(voice, 1)} to see your appointments, or ${option(voice, 5)} to talk to a person.`;

export function chooseAppointment(voice: boolean, purpose: 'cancel' | 'reschedule', appointments: AppointmentChoice[]): string {
  return join(
    purpose === 'cancel' ? 'Which appointment do you want to cancel?' : 'Which appointment do you want to move?',
    numbered(voice, appointments.map(appointmentLine)),
    voice ? 'Say the option number.' : 'Reply with its number.',
  );
}

export const confirmCancel = (appointment: AppointmentChoice) => `Cancel your appointment on ${appointmentName(appointment)}? Reply YES to cancel it, or NO to keep it.`;
export const cancelled = (voice: boolean, appointment: AppointmentChoice) =>
  `Your appointment on ${appointmentName(appointment)} is cancelled. Reply ${option(voice, 2)} if you would like to book another time.`;
export const kept = 'OK, your appointment stays as it is.';
export const yesOrNo = 'Please reply YES or NO.';
export const pickNumber = (voice: boolean, count: number) =>
  voice ? `Please say an option from 1 to ${count}, or say menu.` : `Please reply with a number from 1 to ${count}, or MENU.`;

// ---- free slots -------------------------------------------------------------------------------

export function slotOffer(options: { voice: boolean; purpose: 'book' | 'reschedule'; slots: SlotChoice[]; moving?: AppointmentChoice; intro?: string; heading?: string }): string {
  const heading = options.heading ?? (options.moving ? `Your appointment is on ${appointmentName(options.moving)}. Free times to move it to:` : 'The next free times:');
  const action = options.purpose === 'book' ? 'book it' : 'move your appointment there';
  return join(
    options.intro,
    heading,
    numbered(options.voice, options.slots.map(slotLine)),
    options.voice ? `Say the option number to ${action}, or say more for later times.` : `Reply with a number to ${action}, MORE for later times, or MENU.`,
  );
}

export const preferenceNotFound = (preference: string) => `I could not find a practitioner matching "${preference}", so here are the times with anyone.`;
export const noSlots = (voice: boolean, label: string | undefined) =>
  `Sorry, there are no free times in the next two weeks${label ? ` with ${label}` : ''}. Reply ${option(voice, 5)} to talk to a person, who can help find a time.`;
export const noMoreSlots = (voice: boolean) =>
  `There are no later free times in the two weeks after those. Reply with a number from the list, or ${option(voice, 5)} to talk to a person.`;
export const slotTaken = 'Sorry, that time was just taken by someone else.';
export const slotGone = 'Sorry, that time is no longer available.';
export const patientBusy = 'You already have another appointment at that time.';
export const booked = (slot: SlotChoice) => `You are booked: ${slotLine(slot)} (${slot.locationName}). Reply MENU if you need anything else.`;
export const rescheduled = (voice: boolean, slot: SlotChoice) => `Done: your appointment is now on ${slotLine(slot)} (${slot.locationName}). Reply ${confirmKey(voice)} to confirm it.`;

// ---- clinic, people, failures -----------------------------------------------------------------

/** The text as one sentence: a full stop unless it already ends with one. */
const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

export function clinicInfo(info: { name: string; address: string | null; phone: string | null; hours: string | null }): string {
  return join(
    sentence(info.name),
    info.address ? sentence(`Address: ${info.address}`) : undefined,
    info.hours ? sentence(`Opening hours: ${info.hours}`) : undefined,
    info.phone ? sentence(`Phone: ${info.phone}`) : undefined,
    'Reply MENU for appointments.',
  );
}

export const emergency = 'If this is an emergency, call 911 or go to the nearest emergency room now.';
export const handoffFailed = (phone: string | null) =>
  `Sorry, I could not reach our team from here just now.${phone ? ` Please call us at ${phone}.` : ' Please try again in a few minutes.'} In an emergency, call 911.`;
export const somethingWentWrong = (voice: boolean, phone: string | null) =>
  `Sorry, something went wrong on our side. Please try again in a moment, or reply ${option(voice, 5)} to talk to a person${phone ? ` (or call ${phone})` : ''}.`;
export const appointmentGone = (voice: boolean) => `I could not find that appointment any more; it may have changed. Reply ${option(voice, 1)} to see your appointments.`;
export const changedMeanwhile = (voice: boolean) =>
  `That could not be done: something changed in the meantime. Reply ${option(voice, 1)} to see your appointments, or ${option(voice, 5)} to talk to a person.`;

// ---- the health questionnaire (intake) ---------------------------------------------------------

const INTAKE_QUESTIONS = {
  chief_complaint: () => 'What is the main reason for your visit? Tell me in your own words.',
  allergies: () => 'Do you have any allergies (medicines, foods, latex…)? Reply NONE if you have none, or list them separated by commas, for example: penicillin - rash, peanuts.',
  medications: () => 'Which medicines do you take now? Reply NONE if you take none, or list them separated by commas, for example: metformin 500 mg twice a day.',
  conditions: () => 'Any illnesses or operations, now or in the past (asthma, diabetes…)? Reply NONE, or list them separated by commas.',
  family_history: () => 'Any illnesses in your close family? Reply NONE, or list them, for example: mother - diabetes, father - heart disease.',
  tobacco: (voice: boolean) => join('Do you smoke or use tobacco?', numbered(voice, ['Never', 'In the past', 'Yes, now'])),
} as const;
type IntakeQuestionName = keyof typeof INTAKE_QUESTIONS;
const INTAKE_TOPICS: Record<IntakeQuestionName, string> = {
  chief_complaint: 'the reason for your visit',
  allergies: 'your allergies (or NONE)',
  medications: 'your medicines (or NONE)',
  conditions: 'your illnesses',
  family_history: 'your family’s illnesses',
  tobacco: 'tobacco',
};

export const intakeIntro = 'Let’s fill in your health questionnaire for the clinic. Reply SKIP to pass a question, or PAUSE to finish later.';
export const intakeResumed = 'Welcome back to your health questionnaire: your earlier answers are kept.';
export const intakeQuestion = (voice: boolean, question: IntakeQuestionName) => INTAKE_QUESTIONS[question](voice);
export const intakeNotRead = (voice: boolean, question: IntakeQuestionName) =>
  question === 'tobacco' ? `Sorry, please reply ${option(voice, 1)}, ${option(voice, 2)} or ${option(voice, 3)}.` : 'Sorry, I could not read that.';
export const intakePaused = 'OK, I kept your answers. Reply QUESTIONNAIRE any time to go on where you left off.';
export const intakeIncomplete = (skipped: readonly IntakeQuestionName[]) =>
  `Thank you. I kept your answers, but the clinic still needs ${skipped.map((question) => INTAKE_TOPICS[question]).join(' and ')} before I can send them. Reply QUESTIONNAIRE when you are ready.`;
export const intakeSent = 'Thank you, your questionnaire was sent to the clinic. Reply MENU if you need anything else.';

// ---- what the patient asked for: days, times of day, practitioners, places (issue 18) ----------

const dayName = (isoDate: string) => DateTime.fromISO(isoDate).setLocale('en').toFormat('cccc d LLLL');
const clockText = (clock: string) => DateTime.fromFormat(clock, 'HH:mm').setLocale('en').toFormat('h:mm a');

function daysText(when: When): string | undefined {
  if (when.startDate) return `from ${dayName(when.startDate)} on`;
  if (when.dates.length === 0) return undefined;
  if (when.dates.every((range) => range.from === range.to)) return `on ${when.dates.map((range) => dayName(range.from)).join(' or ')}`;
  return when.dates.map((range) => (range.from === range.to ? `on ${dayName(range.from)}` : `from ${dayName(range.from)} to ${dayName(range.to)}`)).join(' or ');
}

function timeText(time: TimeOfDay, oneDay: boolean): string {
  switch (time.kind) {
    case 'morning':
    case 'afternoon':
    case 'evening':
      return oneDay ? time.kind : `in the ${time.kind}`;
    case 'at':
      return `at ${clockText(time.from)}`;
    case 'after':
      return `after ${clockText(time.from)}`;
    case 'before':
      return `before ${clockText(time.to)}`;
    case 'between':
      return `between ${clockText(time.from)} and ${clockText(time.to)}`;
  }
}

/** "on Tuesday 1 December afternoon", "on Monday 30 November or Tuesday 1 December", "after 5:00 PM". */
export function whenText(when: When): string {
  const days = daysText(when);
  const oneDay = when.dates.length === 1 && when.dates[0].from === when.dates[0].to;
  return [days, when.time ? timeText(when.time, oneDay) : undefined].filter(Boolean).join(' ');
}

type Asked = Pick<SlotSearch, 'when' | 'preferenceLabel' | 'specialty' | 'locationLabel'>;

/** Who and where, as asked: "with Dr. Amelia Hart", "for Dermatology", "at Harbor Street". */
const whoText = (search: Asked) =>
  [search.preferenceLabel ? (search.specialty ? `for ${search.preferenceLabel}` : `with ${search.preferenceLabel}`) : undefined, search.locationLabel ? `at ${search.locationLabel}` : undefined];

/** The whole request said back: "on Tuesday 1 December afternoon with Dr. Amelia Hart at Harbor Street". */
export const askedText = (search: Asked) => [search.when ? whenText(search.when) : undefined, ...whoText(search)].filter(Boolean).join(' ');

/** The heading of times that match what was asked. */
export const matchingHeading = (search: Asked, moving?: AppointmentChoice) =>
  moving ? `Your appointment is on ${appointmentName(moving)}. Free times ${askedText(search)} to move it to:` : `Free times ${askedText(search)}:`;

/** "Dr. Amelia Hart has no free time on Tuesday 1 December afternoon." */
export function noFreeTime(search: Asked): string {
  const [who, where] = whoText(search);
  const when = search.when ? ` ${whenText(search.when)}` : ' in the next two weeks';
  const place = where ? ` ${where}` : '';
  if (search.preferenceLabel && !search.specialty) return `${search.preferenceLabel} has no free time${place}${when}.`;
  return `Sorry, there is no free time${who ? ` ${who}` : ''}${place}${when}.`;
}

export const nearestTimes = 'The nearest free times:';
export const othersThen = 'Other practitioners are free then:';
export const noMoreMatching = (voice: boolean, search: Asked) =>
  `There are no more free times ${askedText(search)}. Reply with a number from the list, or ${option(voice, 5)} to talk to a person.`;
export const whichPractitioner = (voice: boolean, options: PractitionerChoice[]) =>
  join(
    'Which one do you mean?',
    numbered(voice, options.map((practitioner) => (practitioner.specialty ? `${practitioner.name} (${practitioner.specialty})` : practitioner.name))),
    voice ? 'Say the option number.' : 'Reply with its number.',
  );
/** Asked for a time before the identity check: it is kept for after. */
export const timeNoted = (when: When) => `I will look for times ${whenText(when)} once I know who you are.`;

export const confirmCentury = (voice: boolean, date: string) => `Did you mean ${dayText(date)}? ${voice ? 'Say yes or no.' : 'Reply YES or NO.'}`;
export const fullYearNeeded = 'Please send your date of birth with the full year, for example 12 March 1984.';
