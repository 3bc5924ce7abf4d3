import { clipText } from '../../tools/input-text.js';
import type { Task } from './state.js';
import { SPANISH_BOOKING_WORDS, SPANISH_NUMBER_FILLER, SPANISH_NUMBER_WORDS, spanish, withoutAccents, withoutSpanishCourtesy } from './intents-es.js';

/**
 * Reading the patient's text without a language model: keywords, numbers, yes and no, in English (the
 * patterns here) and Spanish (intents-es.ts), whichever language the conversation is in. Deliberately
 * small and predictable; whatever it cannot place is `unknown`, and the engine answers with the menu.
 */

export type Intent =
  | { kind: 'task'; task: Task }
  | { kind: 'emergency' }
  | { kind: 'handoff' }
  | { kind: 'menu' }
  | { kind: 'back' }
  | { kind: 'register' }
  | { kind: 'clinic_info' }
  | { kind: 'greeting' }
  | { kind: 'thanks' }
  /** `casual`: only "ok"/"okay", which at rest is an acknowledgement rather than an answer. */
  | { kind: 'yes'; casual: boolean }
  | { kind: 'no' }
  | { kind: 'more' }
  | { kind: 'unknown' };

/** Lower case, curly quotes straightened, punctuation (but apostrophes and "?") to spaces, spaces collapsed. */
export function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[^\p{L}\p{N}'?]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Without trailing politeness, so "yes please" and "2 thanks" read as "yes" and "2". */
const withoutCourtesy = (text: string) => text.replace(/(\s+(please|pls|thanks|thank you|thx))+$/, '').replace(/^(please|pls)\s+/, '');

const whole = (pattern: string) => new RegExp(`^(?:${pattern})$`);

const EMERGENCY =
  /\b(emergency|chest pains?|can'?t breathe|cannot breathe|trouble breathing|short of breath|unconscious|overdosed?|suicid\w*|kill myself|heart attack|stroke|seizure|bleeding (a lot|heavily|badly)|severe bleeding)\b/;
const HANDOFF =
  /\b(agent|human|a person|real person|someone|somebody|staff|receptionist|operator|representative|nurse|talk to|speak to|speak with|talk with|call me( back)?)\b|^person$/;
const MENU = whole('help|menu|\\?+|options|main menu|start|what can you do');
const BACK = whole("back|go back|cancel that|cancel this|stop that|stop this|never ?mind|forget it|start over|restart|quit|exit|abort|not now");
const REGISTER = /^new$|\b(register|sign me up|sign up|new patient|first time|not registered)\b/;
const YES = /^(yes|y|yeah|yea|yep|yup|sure|correct|right|that's right|please do|do it|go ahead|si|sí)( (please|cancel it|confirm it|book it|do it|go ahead|that's right))*$/;
const CASUAL_YES = whole('ok|okay|k|alright');
const NO = /^(no|n|nope|nah|don't|do not|keep it|wrong)( (thanks|thank you|keep it|don't|do not|leave it))*$/;
const MORE = whole('more|more times|later|later times|other times|next|show more|something later');
const GREETING = /^(hi|hello|hey|hiya|good (morning|afternoon|evening)|hola)\b/;
const THANKS = /^(thanks|thank you|thx|ty|bye|goodbye|great|perfect|cool|ok thanks|okay thanks|got it)\b/;
const CLINIC_INFO = /\b(hours|opening|open|closed?|address|where are you|located|location|directions|parking|your phone|phone number)\b/;

const CANCEL = /\bcancel\w*\b/;
const RESCHEDULE = /\b(re-?schedul\w*|move|change|postpone|another (time|day)|different (time|day)|can'?t make it)\b/;
const BOOK = /^2 (with|for) |\b(book\w*|schedule|new appointment|see (a|the) (dr|doctor))\b/;
/** "I need a dermatology appointment", but not "I want to know when my appointment is". */
const WANTS_APPOINTMENT = (text: string) => /\b(need|want|get|make|like)\b/.test(text) && /\b(appointment|appt|visit)\b/.test(text) && !/\bmy\b/.test(text);
const CONFIRM = /^c$|\bconfirm\w*\b/;
const INTAKE = /\b(intake|questionnaire|health (form|questions|questionnaire)|medical (history|form|questions)|pre ?visit (form|questions))\b/;
const LIST = /\b(appointments?|appts?|when is|upcoming|my booking)\b/;

/** Words that say "book" rather than what to book: what is left over names a practitioner or specialty. */
export const BOOKING_WORDS = new Set(
  `2 a an the i i'd id would like want need to make get book booking schedule new appointment appt visit please me my with for see dr doctor
   another one some time soon asap next week tomorrow today can could you`.split(/\s+/).concat(SPANISH_BOOKING_WORDS),
);

/** The practitioner or specialty named when booking ("book with Dr Ruiz", "dermatology appointment"), if any. */
export function bookingPreference(text: string): string | undefined {
  const named = text.match(/\b(?:with|con) (.+)$/)?.[1] ?? text;
  const rest = named.split(' ').filter((word) => word !== '' && !BOOKING_WORDS.has(word));
  return rest.length > 0 ? clipText(rest.join(' '), 200) : undefined;
}

/** The text as each language's patterns read it: English as normalized, Spanish without accents. */
type Readings = { text: string; plain: string };

function taskIntent({ text, plain }: Readings): Task | undefined {
  if (INTAKE.test(text) || spanish.intake.test(plain)) return { name: 'intake' };
  if (CANCEL.test(text) || spanish.cancel.test(plain)) return { name: 'cancel' };
  if (RESCHEDULE.test(text) || spanish.reschedule.test(plain)) return { name: 'reschedule' };
  if (BOOK.test(text) || WANTS_APPOINTMENT(text) || spanish.book.test(plain) || spanish.wantsAppointment(plain)) {
    const preference = bookingPreference(text);
    return preference ? { name: 'book', preference } : { name: 'book' };
  }
  if (CONFIRM.test(text)) return { name: 'confirm' };
  if (LIST.test(text) || spanish.list.test(plain)) return { name: 'list' };
  return undefined;
}

/** What the (normalized) text asks for, before any number or step is considered. */
export function classify(normalized: string): Intent {
  const text = withoutCourtesy(normalized);
  const accentFree = withoutAccents(normalized);
  const plain = withoutSpanishCourtesy(accentFree);
  if (text === '' || plain === '') return { kind: 'unknown' };
  if (EMERGENCY.test(text) || spanish.emergency.test(plain)) return { kind: 'emergency' };
  if (HANDOFF.test(text) || spanish.handoff.test(plain)) return { kind: 'handoff' };
  if (MENU.test(text) || spanish.menu.test(plain)) return { kind: 'menu' };
  if (BACK.test(text) || spanish.back.test(plain)) return { kind: 'back' };
  if (YES.test(text) || spanish.yes.test(plain)) return { kind: 'yes', casual: false };
  if (CASUAL_YES.test(text) || spanish.casualYes.test(plain)) return { kind: 'yes', casual: true };
  if (NO.test(text) || spanish.no.test(plain)) return { kind: 'no' };
  if (MORE.test(text) || spanish.more.test(plain)) return { kind: 'more' };
  if (REGISTER.test(text) || spanish.register.test(plain)) return { kind: 'register' };
  const task = taskIntent({ text, plain });
  if (task) return { kind: 'task', task };
  if (CLINIC_INFO.test(text) || spanish.clinicInfo.test(plain)) return { kind: 'clinic_info' };
  if (GREETING.test(text) || spanish.greeting.test(plain)) return { kind: 'greeting' };
  // With its courtesy: "muchas gracias" is all thanks.
  if (THANKS.test(text) || spanish.thanks.test(accentFree)) return { kind: 'thanks' };
  return { kind: 'unknown' };
}

const NUMBER_WORDS: Record<string, number> = {
  ...SPANISH_NUMBER_WORDS,
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, seventh: 7, eighth: 8, ninth: 9, tenth: 10,
};
const NUMBER_FILLER = new Set(['option', 'number', 'no', 'the', 'choice', 'slot', "i'll", 'take', 'pick', 'i', 'want', 'please', 'thanks', 'is', 'it', 'one', ...SPANISH_NUMBER_FILLER]);

/**
 * The option number the (normalized) text picks: "2", "2.", "#2", "option 2", "number two", "the second one".
 * Undefined when the text is anything more than that, so "2 with Dr Ruiz" is not taken as option 2.
 */
export function choiceNumber(normalized: string): number | undefined {
  const words = normalized.split(' ').filter((word) => word !== '');
  const meaningful = words.filter((word) => !NUMBER_FILLER.has(word));
  // "one" is filler in "the first one" but the number itself in "option one".
  const candidates = meaningful.length === 0 && words.includes('one') ? ['one'] : meaningful;
  if (candidates.length !== 1) return undefined;
  const word = candidates[0].replace(/^(\d{1,2})(st|nd|rd|th|ro|do|er|to|ra|da|ta|º|ª)$/, '$1');
  if (/^\d{1,2}$/.test(word)) return Number(word);
  return NUMBER_WORDS[candidates[0]];
}
