import type { AppointmentChoice, IntakeQuestion, PractitionerChoice, SlotChoice } from '../state.js';
import type { TimeOfDay, When } from '../when.js';
import { blocksIn, join, sentence, spoken, type Asked, type ClinicContact, type FilesSent } from './blocks.js';

/** English: the source. Every other language is typed `Replies`, the shape of this object (see index.ts). */

const { when, day, weekday, clock, numbered, option, confirmKey, appointmentName, appointmentLine, slotLine, whoText } = blocksIn('en', { option: 'option', confirm: 'confirm', with: 'with', for: 'for', at: 'at', confirmed: '(confirmed)' });

const INTAKE_QUESTIONS: Record<IntakeQuestion, (voice: boolean) => string> = {
  chief_complaint: () => 'What is the main reason for your visit? Tell me in your own words.',
  allergies: () => 'Do you have any allergies (medicines, foods, latex…)? Reply NONE if you have none, or list them separated by commas, for example: penicillin - rash, peanuts.',
  medications: () => 'Which medicines do you take now? Reply NONE if you take none, or list them separated by commas, for example: metformin 500 mg twice a day.',
  conditions: () => 'Any illnesses or operations, now or in the past (asthma, diabetes…)? Reply NONE, or list them separated by commas.',
  family_history: () => 'Any illnesses in your close family? Reply NONE, or list them, for example: mother - diabetes, father - heart disease.',
  tobacco: (voice) => join('Do you smoke or use tobacco?', numbered(voice, ['Never', 'In the past', 'Yes, now'])),
};
const INTAKE_TOPICS: Record<IntakeQuestion, string> = {
  chief_complaint: 'the reason for your visit',
  allergies: 'your allergies (or NONE)',
  medications: 'your medicines (or NONE)',
  conditions: 'your illnesses',
  family_history: 'your family’s illnesses',
  tobacco: 'tobacco',
};

/** The days asked for: "on Tuesday 1 December", "from Monday 30 November to Friday 4 December", "from Tuesday 1 December on". */
function daysText(asked: When): string | undefined {
  if (asked.startDate) return `from ${weekday(asked.startDate)} on`;
  if (asked.dates.length === 0) return undefined;
  if (asked.dates.every((range) => range.from === range.to)) return `on ${asked.dates.map((range) => weekday(range.from)).join(' or ')}`;
  return asked.dates.map((range) => (range.from === range.to ? `on ${weekday(range.from)}` : `from ${weekday(range.from)} to ${weekday(range.to)}`)).join(' or ');
}

/** The time of day asked for: "afternoon" after one day, "in the afternoon", "at 3:00 PM", "between 2:00 PM and 4:00 PM". */
function timeText(time: TimeOfDay, oneDay: boolean): string {
  switch (time.kind) {
    case 'morning':
    case 'afternoon':
    case 'evening':
      return oneDay ? time.kind : `in the ${time.kind}`;
    case 'at':
      return `at ${clock(time.from)}`;
    case 'after':
      return `after ${clock(time.from)}`;
    case 'before':
      return `before ${clock(time.to)}`;
    case 'between':
      return `between ${clock(time.from)} and ${clock(time.to)}`;
  }
}

/** "on Tuesday 1 December afternoon", "on Monday 30 November or Tuesday 1 December", "after 5:00 PM". */
function whenText(asked: When): string {
  const oneDay = asked.dates.length === 1 && asked.dates[0].from === asked.dates[0].to;
  return [daysText(asked), asked.time ? timeText(asked.time, oneDay) : undefined].filter(Boolean).join(' ');
}

/** The whole request said back: "on Tuesday 1 December afternoon with Dr. Amelia Hart at Harbor Street". */
const askedText = (search: Asked) => [search.when ? whenText(search.when) : undefined, ...whoText(search)].filter(Boolean).join(' ');

export const en = {
  // ---- building blocks ------------------------------------------------------------------------
  when,
  dayText: day,
  numbered,
  /** A reply made for the phone (see blocks.ts): "Say" for "Reply". */
  spoken: (text: string) => spoken(text, 'en', [[/\bReply\b/g, 'Say'], [/\breply\b/g, 'say']]),

  // ---- menu and small talk ----------------------------------------------------------------------
  menu(voice: boolean): string {
    if (voice) {
      return 'How can I help? Say option 1 to hear your appointments, option 2 to book, option 3 to reschedule, option 4 to cancel, or option 5 to talk to a person. To confirm your next appointment, say confirm.';
    }
    return join(
      'How can I help? Reply with a number:',
      numbered(false, ['My appointments', 'Book an appointment', 'Reschedule', 'Cancel an appointment', 'Talk to a person']),
      'Or reply C to confirm your next appointment.',
    );
  },
  greeting: (clinicName: string, givenName: string | null) => `Hello${givenName ? ` ${givenName}` : ''}, this is ${clinicName}.`,
  notUnderstood: (voice: boolean, misses: number): string =>
    misses >= 2 ? `Sorry, I still did not understand. I can only help with the options below; for anything else, reply ${option(voice, 5)} to talk to a person.` : 'Sorry, I did not understand that.',
  stopped: 'OK, I stopped that.',
  moreHelp: (voice: boolean): string => (voice ? 'Anything else? Say menu to hear the options.' : 'Anything else? Reply MENU for the options.'),
  welcome: 'You are welcome. Reply MENU any time.',
  acknowledged: 'OK. Reply MENU any time.',
  confirmWhat: (voice: boolean) => `Do you want to confirm your next appointment? Reply ${confirmKey(voice)} to confirm it, or MENU to see what I can do.`,
  expired: 'Sorry, that was a while ago and things may have changed.',

  // ---- messages that are not words (see flows/odd-messages.ts) --------------------------------------
  onlyWords: 'Sorry, I can only read words and numbers.',
  replyMenu: (voice: boolean): string => (voice ? 'Say menu to hear what I can do.' : 'Reply MENU to see what I can do.'),
  tooLong: 'Thank you for your message. It is too long for me to read here: I can help with short requests, such as "my appointments". Reply AGENT and someone from our team will read it.',
  /** Said in every language at once, to a message in a script the clinic does not answer in. */
  otherLanguage: 'Sorry, we can only answer in English or Spanish. Reply AGENT to talk to a person.',

  // ---- identity -------------------------------------------------------------------------------
  askDateOfBirth: (voice: boolean): string =>
    voice
      ? 'First, to keep your information private, please say your date of birth, for example 12 March 1984. If you are a new patient, say new.'
      : 'First, to keep your information private: what is your date of birth? (for example 1984-03-12)\nNew patient? Reply NEW.',
  dateNotRead: 'Sorry, I could not read that date. Please send your date of birth like 1984-03-12 or 12 March 1984.',
  whichDate: (voice: boolean, dates: [string, string]) =>
    join(`Did you mean ${day(dates[0])} or ${day(dates[1])}?`, numbered(voice, dates.map(day)), voice ? 'Say option 1 or option 2.' : 'Reply 1 or 2.'),
  familyNameNotRead: 'Please send your family name (last name) as it is on your records.',
  askFullName: 'Welcome! To register you, what is your full name (first and last name)?',
  fullNameNeeded: 'Please send your first and last name, for example Ana Ruiz.',
  askRegistrationDateOfBirth: (givenName: string) => `Thanks, ${givenName}. What is your date of birth? (for example 1984-03-12)`,
  alreadyVerified: (givenName: string | null) => `You are already verified${givenName ? ` as ${givenName}` : ''}, so there is nothing to register.`,
  // What verify_identity and register_patient answered, in the patient's language (their own messages are English).
  verified: (givenName: string | null) => `Thank you${givenName ? `, ${givenName}` : ''}, you are verified.`,
  askFamilyName: 'Thanks. To be sure it is you, what is your family name (last name)?',
  detailsDoNotMatch: 'Those details do not match our records for this number. Please check the date of birth (for example 1984-03-12), or reply NEW to register, or AGENT for a person.',
  locked: 'Too many attempts. For your security, please try again in 30 minutes, or reply AGENT to talk to our team.',
  confirmToFinish:
    'Thank you. To finish, please confirm your date of birth (for example 1984-03-12), so we can check it against our records for this number. If it cannot be matched, reply AGENT and our team will help.',

  // ---- appointments ---------------------------------------------------------------------------
  noUpcoming: (voice: boolean) => `You have no upcoming appointments. Reply ${option(voice, 2)} to book one.`,
  appointmentList: (voice: boolean, appointments: AppointmentChoice[], more: boolean, nextNeedsConfirming: boolean) =>
    join(
      appointments.length === 1 ? 'Your upcoming appointment:' : 'Your upcoming appointments:',
      numbered(voice, appointments.map(appointmentLine)),
      more ? `There are more later; reply ${option(voice, 5)} if you need help with those.` : undefined,
      nextNeedsConfirming
        ? `Reply ${confirmKey(voice)} to confirm the next one, RESCHEDULE to move one, or CANCEL to cancel one.`
        : 'Reply RESCHEDULE to move one, CANCEL to cancel one, or MENU.',
    ),
  confirmed: (appointment: AppointmentChoice) => `Thank you, your appointment on ${appointmentName(appointment)} is confirmed.`,
  alreadyConfirmed: (appointment: AppointmentChoice) => `Your appointment on ${appointmentName(appointment)} is already confirmed. See you then!`,
  cannotConfirm: (voice: boolean, appointment: AppointmentChoice) =>
    `Your appointment on ${appointmentName(appointment)} can no longer be confirmed. Reply ${option(voice, 1)} to see your appointments, or ${option(voice, 5)} to talk to a person.`,
  chooseAppointment: (voice: boolean, purpose: 'cancel' | 'reschedule', appointments: AppointmentChoice[]) =>
    join(
      purpose === 'cancel' ? 'Which appointment do you want to cancel?' : 'Which appointment do you want to move?',
      numbered(voice, appointments.map(appointmentLine)),
      voice ? 'Say the option number.' : 'Reply with its number.',
    ),
  confirmCancel: (appointment: AppointmentChoice) => `Cancel your appointment on ${appointmentName(appointment)}? Reply YES to cancel it, or NO to keep it.`,
  cancelled: (voice: boolean, appointment: AppointmentChoice) =>
    `Your appointment on ${appointmentName(appointment)} is cancelled. Reply ${option(voice, 2)} if you would like to book another time.`,
  kept: 'OK, your appointment stays as it is.',
  yesOrNo: 'Please reply YES or NO.',
  pickNumber: (voice: boolean, count: number): string => (voice ? `Please say an option from 1 to ${count}, or say menu.` : `Please reply with a number from 1 to ${count}, or MENU.`),

  // ---- free slots -----------------------------------------------------------------------------
  /** `heading`: instead of the usual one, when the times match what the patient asked for (see matchingHeading). */
  slotOffer(options: { voice: boolean; purpose: 'book' | 'reschedule'; slots: SlotChoice[]; moving?: AppointmentChoice; intro?: string; heading?: string }): string {
    const heading = options.heading ?? (options.moving ? `Your appointment is on ${appointmentName(options.moving)}. Free times to move it to:` : 'The next free times:');
    const action = options.purpose === 'book' ? 'book it' : 'move your appointment there';
    return join(
      options.intro,
      heading,
      numbered(options.voice, options.slots.map(slotLine)),
      options.voice ? `Say the option number to ${action}, or say more for later times.` : `Reply with a number to ${action}, MORE for later times, or MENU.`,
    );
  },
  preferenceNotFound: (preference: string) => `I could not find a practitioner matching "${preference}", so here are the times with anyone.`,
  noSlots: (voice: boolean, label: string | undefined) =>
    `Sorry, there are no free times in the next two weeks${label ? ` with ${label}` : ''}. Reply ${option(voice, 5)} to talk to a person, who can help find a time.`,
  noMoreSlots: (voice: boolean) => `There are no later free times in the two weeks after those. Reply with a number from the list, or ${option(voice, 5)} to talk to a person.`,
  slotTaken: 'Sorry, that time was just taken by someone else.',
  slotGone: 'Sorry, that time is no longer available.',
  patientBusy: 'You already have another appointment at that time.',
  booked: (slot: SlotChoice) => `You are booked: ${slotLine(slot)} (${slot.locationName}). Reply MENU if you need anything else.`,
  rescheduled: (voice: boolean, slot: SlotChoice) => `Done: your appointment is now on ${slotLine(slot)} (${slot.locationName}). Reply ${confirmKey(voice)} to confirm it.`,

  // ---- clinic, people, failures -----------------------------------------------------------------
  clinicInfo: (info: { name: string; address: string | null; phone: string | null; hours: string | null }) =>
    join(
      sentence(info.name),
      info.address ? sentence(`Address: ${info.address}`) : undefined,
      info.hours ? sentence(`Opening hours: ${info.hours}`) : undefined,
      info.phone ? sentence(`Phone: ${info.phone}`) : undefined,
      'Reply MENU for appointments.',
    ),
  handedOff: (clinic: ClinicContact) =>
    `I have passed your message to our team at ${clinic.name}. Someone will reply here${clinic.hours ? ` during opening hours (${clinic.hours}).` : ' as soon as they can.'}` +
    `${clinic.phone ? ` If it is urgent, please call ${clinic.phone}.` : ''} In an emergency, call 911.`,
  emergency: 'If this is an emergency, call 911 or go to the nearest emergency room now.',
  handoffFailed: (phone: string | null) =>
    `Sorry, I could not reach our team from here just now.${phone ? ` Please call us at ${phone}.` : ' Please try again in a few minutes.'} In an emergency, call 911.`,
  somethingWentWrong: (voice: boolean, phone: string | null) =>
    `Sorry, something went wrong on our side. Please try again in a moment, or reply ${option(voice, 5)} to talk to a person${phone ? ` (or call ${phone})` : ''}.`,
  appointmentGone: (voice: boolean) => `I could not find that appointment any more; it may have changed. Reply ${option(voice, 1)} to see your appointments.`,
  changedMeanwhile: (voice: boolean) =>
    `That could not be done: something changed in the meantime. Reply ${option(voice, 1)} to see your appointments, or ${option(voice, 5)} to talk to a person.`,

  // ---- carrier keywords and files (answered before either engine) ----------------------------------
  optedOut: (clinicName: string) => `You are unsubscribed from ${clinicName} messages and will get no more. Reply START to subscribe again.`,
  optedIn: (clinicName: string) => `You are subscribed again to ${clinicName} messages. Reply HELP for help, STOP to stop.`,
  carrierHelp: (clinic: ClinicContact) =>
    `${clinic.name}: tell us what you need, for example "my appointments", or AGENT for a person.${clinic.phone ? ` Call ${clinic.phone}.` : ''} Reply STOP to opt out.`,
  filesReceived(files: FilesSent): string {
    const many = files.count > 1 || files.kind === 'mixed';
    const noun = files.kind === 'mixed' ? 'files' : `${files.kind}${many ? 's' : ''}`;
    return `Thank you, we received your ${noun}. A member of our team will look at ${many ? 'them' : 'it'} and get back to you here.`;
  },

  // ---- the phone line's own words (src/channels/twilio/voice.ts) -----------------------------------
  callGreeting: (clinicName: string) => `Hello, you have reached ${clinicName}. I am the clinic's assistant. How can I help you?`,
  callNothingHeard: 'Sorry, I did not hear anything. Goodbye.',
  callOneMoment: 'One moment, please.',
  callTooSlow: 'Sorry, this is taking too long. Please call again later, or send us a message.',
  callConnecting: 'Let me connect you with our team.',
  callAnythingElse: 'How else can I help you?',

  // ---- the health questionnaire (intake) ----------------------------------------------------------
  intakeIntro: 'Let’s fill in your health questionnaire for the clinic. Reply SKIP to pass a question, or PAUSE to finish later.',
  intakeResumed: 'Welcome back to your health questionnaire: your earlier answers are kept.',
  intakeQuestion: (voice: boolean, question: IntakeQuestion) => INTAKE_QUESTIONS[question](voice),
  intakeNotRead: (voice: boolean, question: IntakeQuestion): string =>
    question === 'tobacco' ? `Sorry, please reply ${option(voice, 1)}, ${option(voice, 2)} or ${option(voice, 3)}.` : 'Sorry, I could not read that.',
  intakePaused: 'OK, I kept your answers. Reply QUESTIONNAIRE any time to go on where you left off.',
  intakeIncomplete: (skipped: readonly IntakeQuestion[]) =>
    `Thank you. I kept your answers, but the clinic still needs ${skipped.map((question) => INTAKE_TOPICS[question]).join(' and ')} before I can send them. Reply QUESTIONNAIRE when you are ready.`,
  intakeSent: 'Thank you, your questionnaire was sent to the clinic. Reply MENU if you need anything else.',

  // ---- what the patient asked for: days, times of day, practitioners, places (issue 18) ----------
  whenText,
  askedText,
  /** The heading of times that match what was asked. */
  matchingHeading: (search: Asked, moving?: AppointmentChoice) =>
    moving ? `Your appointment is on ${appointmentName(moving)}. Free times ${askedText(search)} to move it to:` : `Free times ${askedText(search)}:`,
  /** "Dr. Amelia Hart has no free time on Tuesday 1 December afternoon." */
  noFreeTime(search: Asked): string {
    const [who, where] = whoText(search);
    const asked = search.when ? ` ${whenText(search.when)}` : ' in the next two weeks';
    const place = where ? ` ${where}` : '';
    if (search.preferenceLabel && !search.specialty) return `${search.preferenceLabel} has no free time${place}${asked}.`;
    return `Sorry, there is no free time${who ? ` ${who}` : ''}${place}${asked}.`;
  },
  nearestTimes: 'The nearest free times:',
  othersThen: 'Other practitioners are free then:',
  noMoreMatching: (voice: boolean, search: Asked) =>
    `There are no more free times ${askedText(search)}. Reply with a number from the list, or ${option(voice, 5)} to talk to a person.`,
  whichPractitioner: (voice: boolean, options: PractitionerChoice[]) =>
    join(
      'Which one do you mean?',
      numbered(voice, options.map((practitioner) => (practitioner.specialty ? `${practitioner.name} (${practitioner.specialty})` : practitioner.name))),
      voice ? 'Say the option number.' : 'Reply with its number.',
    ),
  /** Asked for a time before the identity check: it is kept for after. */
  timeNoted: (asked: When) => `I will look for times ${whenText(asked)} once I know who you are.`,
  /** A date of birth read with a two-digit year ("March 12th 84"): is the century right? */
  confirmCentury: (voice: boolean, date: string) => `Did you mean ${day(date)}? ${voice ? 'Say yes or no.' : 'Reply YES or NO.'}`,
  fullYearNeeded: 'Please send your date of birth with the full year, for example 12 March 1984.',
};

/** Every text guided mode says to a patient, as one language writes it: the shape each language must have. */
export type Replies = typeof en;
