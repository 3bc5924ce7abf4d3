import { DateTime } from 'luxon';
import type { Language } from '../../language.js';
import type { AppointmentChoice, SlotChoice, SlotSearch } from '../state.js';

/** What the replies of every language are built from: dates in the reply's language, lists, joining. */

/** "Tuesday 1 December at 9:30 AM" / "martes 1 de diciembre a las 9:30 a. m.", from a clinic-local ISO time. */
export function when(localIso: string, language: Language): string {
  const time = DateTime.fromISO(localIso, { setZone: true }).setLocale(language);
  const format = language === 'es' ? `cccc d 'de' LLLL '${time.hour % 12 === 1 ? 'a la' : 'a las'}' h:mm a` : "cccc d LLLL 'at' h:mm a";
  // ICU writes "a. m." with a narrow no-break space, which an SMS cannot carry in its 7-bit alphabet.
  return time.toFormat(format).replace(/[\u00a0\u202f]/g, ' ');
}

/** "12 March 1984" / "12 de marzo de 1984". */
export function dayText(isoDate: string, language: Language): string {
  return DateTime.fromISO(isoDate).setLocale(language).toFormat(language === 'es' ? "d 'de' LLLL 'de' yyyy" : 'd LLLL yyyy');
}

/** Numbered lines in writing; "Option 1, ... Option 2, ..." (in the language's word) on the phone. */
export function numbered(voice: boolean, lines: string[], optionWord: string): string {
  return voice ? lines.map((line, index) => `${optionWord} ${index + 1}, ${line}.`).join(' ') : lines.map((line, index) => `${index + 1}. ${line}`).join('\n');
}

/** "Tuesday 1 December" / "martes 1 de diciembre": a clinic-local date with its weekday, without the year. */
export function weekdayText(isoDate: string, language: Language): string {
  return DateTime.fromISO(isoDate).setLocale(language).toFormat(language === 'es' ? "cccc d 'de' LLLL" : 'cccc d LLLL');
}

/** "3:00 PM" / "3:00 p. m.", from a clinic-local "HH:MM". */
export function clockText(clock: string, language: Language): string {
  return DateTime.fromFormat(clock, 'HH:mm').setLocale(language).toFormat('h:mm a').replace(/[\u00a0\u202f]/g, ' ');
}

/** What a patient asked for in a slot search, to say it back: when, who, where. */
export type Asked = Pick<SlotSearch, 'when' | 'preferenceLabel' | 'specialty' | 'locationLabel'>;

export const join = (...parts: (string | undefined)[]): string => parts.filter((part) => part !== undefined && part !== '').join('\n');

/** The text as one sentence: a full stop unless it already ends with one. */
export const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

/**
 * A reply's words made for the phone: the language's word for "say" for its word for "reply", ISO
 * dates in words. Applied to every guided voice reply; its lines become one spoken paragraph where
 * every reply is made for its channel (src/agent/format.ts), after markdown (a knowledge article's
 * headings and lists) has been read line by line.
 */
export function spoken(text: string, language: Language, replyWords: [RegExp, string][]): string {
  let said = text.replace(/\b(\d{4}-\d{2}-\d{2})\b/g, (date) => dayText(date, language));
  for (const [word, replacement] of replyWords) said = said.replace(word, replacement);
  return said.trim();
}

/** What a patient sent with a message, as Twilio declared it: one kind of file or a mix. */
export type FilesSent = { kind: 'photo' | 'document' | 'voice message' | 'file' | 'mixed'; count: number };

/** What a clinic's profile says about reaching it: named in replies about handing over to staff. */
export type ClinicContact = { name: string; hours: string | null; phone: string | null };

/** The few words the shared pieces of a reply need, in one language. */
export type BlockWords = {
  /** "option" in "reply option 2" on the phone. */
  option: string;
  /** What to say to confirm on the phone ("confirm"); in writing it is C in every language. */
  confirm: string;
  /** "with" in "9:00 AM with Dr. Hart" and in "free times with Dr. Hart". */
  with: string;
  /** "for" in "free times for Dermatology" (a specialty asked for). */
  for: string;
  /** "at" in "free times at Harbor Street" (a place asked for). */
  at: string;
  /** Marks a confirmed appointment in a list: "(confirmed)". */
  confirmed: string;
};

/** The pieces every language builds its replies from: dates, lists, option numbers, appointments and slots. */
export function blocksIn(language: Language, words: BlockWords) {
  const whenThere = (localIso: string) => when(localIso, language);
  const appointmentName = (appointment: AppointmentChoice) => `${whenThere(appointment.startLocal)}${appointment.practitionerName ? ` ${words.with} ${appointment.practitionerName}` : ''}`;
  const optionWord = words.option.charAt(0).toUpperCase() + words.option.slice(1);
  return {
    when: whenThere,
    day: (isoDate: string) => dayText(isoDate, language),
    weekday: (isoDate: string) => weekdayText(isoDate, language),
    clock: (clock: string) => clockText(clock, language),
    numbered: (voice: boolean, lines: string[]) => numbered(voice, lines, optionWord),
    /** A menu number as the patient should send it: "2" in writing, "option 2" on the phone. */
    option: (voice: boolean, number: number) => (voice ? `${words.option} ${number}` : `${number}`),
    confirmKey: (voice: boolean) => (voice ? words.confirm : 'C'),
    appointmentName,
    appointmentLine: (appointment: AppointmentChoice) => `${appointmentName(appointment)}${appointment.status === 'confirmed' ? ` ${words.confirmed}` : ''}`,
    slotLine: (slot: SlotChoice) => `${whenThere(slot.startLocal)} ${words.with} ${slot.practitionerName}`,
    /** Who and where, as asked: ["with Dr. Amelia Hart" or "for Dermatology", "at Harbor Street"], each undefined when not asked. */
    whoText: (search: Asked): [string | undefined, string | undefined] => [
      search.preferenceLabel ? `${search.specialty ? words.for : words.with} ${search.preferenceLabel}` : undefined,
      search.locationLabel ? `${words.at} ${search.locationLabel}` : undefined,
    ],
  };
}
