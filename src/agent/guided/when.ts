import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { DateOnly } from '../../schema.js';

/**
 * When a patient wants to come, read from their words: "next Tuesday afternoon", "tomorrow at 3", "the
 * 14th", "in two weeks", "after 5pm", "Monday or Tuesday", "between 2 and 4", and in Spanish "el martes
 * por la tarde", "mañana a las 3". Days and clock times come from chrono-node, read in the clinic's time
 * zone; parts of the day, "after"/"before" and "between" are read here, the same way in both languages.
 * Only the future counts: a date in the past (a date of birth, "last Tuesday") is no appointment time.
 */

/** A clinic-local time of day, "HH:MM"; "24:00" is the end of the day. */
const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/);

/** The part of each day asked for: slots starting in `[from, to)`, clinic local time. */
export const TimeOfDay = z.object({
  from: Clock,
  to: Clock,
  /** How it was asked, to say it back: a part of the day, or at, after, before or between clock times. */
  kind: z.enum(['morning', 'afternoon', 'evening', 'at', 'after', 'before', 'between']),
});
export type TimeOfDay = z.infer<typeof TimeOfDay>;

/** Clinic-local dates, both included (one day: `from` = `to`). */
export const DateRange = z.object({ from: DateOnly, to: DateOnly });
export type DateRange = z.infer<typeof DateRange>;

/** When the patient wants the appointment. Remembered with the slot search, so MORE stays within it. */
export const When = z.object({
  /** The days asked for, in order ("Monday or Tuesday": two; "next week": one range). Empty: any day. */
  dates: z.array(DateRange).max(7),
  /** With no `dates`: from this day on ("in two weeks"); absent, from now. */
  startDate: DateOnly.optional(),
  time: TimeOfDay.optional(),
});
export type When = z.infer<typeof When>;

/** What was read, and where in the text: the rest of the text may name a practitioner or a place. */
export type WhenReading = { when: When; spans: [number, number][] };

/**
 * Parts of the day. Morning: before 12:00. Afternoon: 12:00 to 17:00. Evening: from 17:00 to the end
 * of the day. A slot belongs to the part its start falls in.
 */
export const PARTS_OF_DAY = {
  morning: { from: '00:00', to: '12:00' },
  afternoon: { from: '12:00', to: '17:00' },
  evening: { from: '17:00', to: '24:00' },
} as const;
type PartOfDay = keyof typeof PARTS_OF_DAY;

/** "At 3": slots starting within the hour from then. */
const AT_MINUTES = 60;
/** A clock hour said without am/pm: 1 to 6 is afternoon (no clinic opens at 3 in the night), 7 to 11 morning. */
const LATEST_AFTERNOON_HOUR = 6;

const PART_WORDS: [RegExp, PartOfDay][] = [
  [/\b(?:in the |this )?morning\b|\b(?:por|de) la mañana\b/giu, 'morning'],
  [/\b(?:in the |this )?afternoon\b|\b(?:por|de) la tarde\b/giu, 'afternoon'],
  [/\b(?:in the |this )?evening\b|\btonight\b|\b(?:por|de) la noche\b|\besta noche\b/giu, 'evening'],
];
const TODAY_PART = /\b(this (morning|afternoon|evening)|tonight|esta (mañana|tarde|noche))\b/iu;
/** A clock time as people type it ("3", "3pm", "10:30", "10.30 a.m.", "17h30"), but not a count of days or weeks. */
const HOUR = String.raw`(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?!\w)(?!\s*(?:weeks?|days?|months?|years?|hours?|minutes?|mins?|semanas?|d[ií]as?|mes(?:es)?|años?|horas?)\b)`;
const BETWEEN = new RegExp(String.raw`\b(?:between|from|entre(?: las?)?|de(?: las?)?)\s+${HOUR}\s*(?:and|to|till|until|-|y(?: las?)?|a(?: las?)?)\s*${HOUR}`, 'iu');
const AFTER = new RegExp(String.raw`\b(?:after|later than|no earlier than|después de(?: las?)?|a partir de(?: las?)?)\s+${HOUR}`, 'iu');
const BEFORE = new RegExp(String.raw`\b(?:before|earlier than|no later than|by|antes de(?: las?)?)\s+${HOUR}`, 'iu');
const ORDINAL_DAY = /\b(?:on )?the (\d{1,2})(?:st|nd|rd|th)\b(?! of)|\bel (\d{1,2})\b(?!\s*(?:de|:|\.|h\b))/iu;
const WEEK = /\b(next week|this week|la semana que viene|la próxima semana|la proxima semana|esta semana)\b/iu;
/** Words that make a date the past, however chrono reads it ("last Tuesday" it moves forward). */
const PAST = /\b(ago|last|yesterday|hace|pasad[oa]|ayer)\b/iu;
/** Weekday abbreviations that are also words ("sat down", "the sun", "wed"), taken only as part of more; and "now", which asks for no particular time. */
const WORD_LIKE = new Set(['sat', 'sun', 'mon', 'wed', 'now', 'right now', 'ahora', 'ahora mismo']);
/** Spanish date words: only text with one of them is read with the Spanish parser too. */
const SPANISH = /\b(lunes|martes|miércoles|miercoles|jueves|viernes|sábado|sabado|domingo|mañana|manana|hoy|tarde|noche|semana|las? \d|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)\b/iu;

const parsers = { monthFirst: chrono.en.casual, dayFirst: chrono.en.GB, spanish: chrono.es.casual };

const pad = (value: number) => String(value).padStart(2, '0');
const clock = (minutes: number) => (minutes >= 24 * 60 ? '24:00' : `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`);

/** Minutes after midnight for an hour read without certainty about am/pm: see LATEST_AFTERNOON_HOUR. */
function clinicHour(hour: number, meridiem: 'am' | 'pm' | undefined, part: PartOfDay | undefined): number {
  if (meridiem === 'pm' && hour < 12) return hour + 12;
  if (meridiem === 'am') return hour === 12 ? 0 : hour;
  if (hour >= 12) return hour;
  if (part === 'afternoon' || part === 'evening' || hour <= LATEST_AFTERNOON_HOUR) return hour + 12;
  return hour;
}

const meridiemOf = (text: string | undefined) => (text === undefined ? undefined : text.toLowerCase().startsWith('p') ? 'pm' : 'am');

type Found = { dates: DateRange[]; startDate?: string; times: { minutes: number; end?: number; certain: boolean }[]; spans: [number, number][] };

/**
 * Reads when the patient wants to come, or undefined when the text says nothing about it. `dayFirst`:
 * 04/12 is 4 December (the clinic's convention, see date-order.ts); `now` and `timeZone` make "tomorrow".
 */
export function readWhen(text: string, options: { timeZone: string; now: Date; dayFirst: boolean }): WhenReading | undefined {
  const today = DateTime.fromJSDate(options.now, { zone: options.timeZone });
  const found: Found = { dates: [], times: [], spans: [] };
  const part = readPartOfDay(text, found);
  // Spanish "por la mañana" is the morning, though chrono reads "mañana" as tomorrow: blanked, same length.
  const masked = text.replace(/\b(por|de) la mañana\b/giu, (match) => ' '.repeat(match.length));
  const window = readClockWords(masked, found, part);
  readWeek(masked, today, found);
  readOrdinalDay(masked, today, found);

  const reference = { instant: options.now, timezone: today.offset };
  const chronos = [options.dayFirst ? parsers.dayFirst : parsers.monthFirst, ...(SPANISH.test(masked) ? [parsers.spanish] : [])];
  for (const parser of chronos) {
    for (const result of parser.parse(masked, reference, { forwardDate: true })) readResult(result, today, found, window);
  }
  if (TODAY_PART.test(text) && found.dates.length === 0) found.dates.push({ from: today.toISODate() ?? '', to: today.toISODate() ?? '' });

  const time = window ?? timeOfDay(found, part);
  const dates = uniqueDates(found.dates).slice(0, 7);
  if (dates.length === 0 && !found.startDate && !time) return undefined;
  return {
    when: { dates, ...(dates.length === 0 && found.startDate ? { startDate: found.startDate } : {}), ...(time ? { time } : {}) },
    spans: found.spans,
  };
}

function readPartOfDay(text: string, found: Found): PartOfDay | undefined {
  let part: PartOfDay | undefined;
  for (const [pattern, name] of PART_WORDS) {
    for (const match of text.matchAll(pattern)) {
      part ??= name;
      found.spans.push([match.index, match.index + match[0].length]);
    }
  }
  return part;
}

/** "Between 2 and 4", "from 9 to 11am", "after 5", "before 10am": a time window of the day. */
function readClockWords(text: string, found: Found, part: PartOfDay | undefined): TimeOfDay | undefined {
  const window = readBetween(text, part) ?? readBound(text, AFTER, 'after', part) ?? readBound(text, BEFORE, 'before', part);
  if (window) found.spans.push(window.span);
  return window?.time;
}

type Window = { time: TimeOfDay; span: [number, number] };

function readBound(text: string, pattern: RegExp, kind: 'after' | 'before', part: PartOfDay | undefined): Window | undefined {
  const match = pattern.exec(text);
  const hour = Number(match?.[1]);
  if (!match || hour > 23) return undefined;
  const minutes = clinicHour(hour, meridiemOf(match[3]), part) * 60 + Number(match[2] ?? 0);
  const time: TimeOfDay = kind === 'after' ? { from: clock(minutes), to: '24:00', kind } : { from: '00:00', to: clock(minutes), kind };
  return { time, span: [match.index, match.index + match[0].length] };
}

function readBetween(text: string, part: PartOfDay | undefined): Window | undefined {
  const match = BETWEEN.exec(text);
  if (!match) return undefined;
  const [startHour, endHour] = [Number(match[1]), Number(match[4])];
  if (startHour > 23 || endHour > 23) return undefined;
  // "between 2 and 4pm": the one am/pm said counts for both.
  const endMeridiem = meridiemOf(match[6]);
  const start = clinicHour(startHour, meridiemOf(match[3]) ?? (startHour <= endHour ? endMeridiem : undefined), part) * 60 + Number(match[2] ?? 0);
  let end = clinicHour(endHour, endMeridiem, part) * 60 + Number(match[5] ?? 0);
  if (end <= start && end + 12 * 60 > start) end += 12 * 60; // "between 11 and 1"
  if (end <= start || end > 24 * 60) return undefined;
  return { time: { from: clock(start), to: clock(end), kind: 'between' }, span: [match.index, match.index + match[0].length] };
}

/** "Next week": Monday to Sunday of it; "this week": today to Sunday. */
function readWeek(text: string, today: DateTime, found: Found): void {
  const match = WEEK.exec(text);
  if (!match) return;
  const next = !/^(this|esta)/i.test(match[1]);
  const from = next ? today.startOf('week').plus({ weeks: 1 }) : today;
  found.dates.push({ from: from.toISODate() ?? '', to: from.endOf('week').toISODate() ?? '' });
  found.spans.push([match.index, match.index + match[0].length]);
}

/** "The 14th", "el 14": the next 14th of a month, today included. */
function readOrdinalDay(text: string, today: DateTime, found: Found): void {
  const match = ORDINAL_DAY.exec(text);
  if (!match) return;
  const day = Number(match[1] ?? match[2]);
  for (let months = 0; months <= 2; months++) {
    const month = today.startOf('month').plus({ months });
    if (day < 1 || day > (month.daysInMonth ?? 0)) continue;
    const date = month.set({ day });
    if (date < today.startOf('day')) continue;
    found.dates.push({ from: date.toISODate() ?? '', to: date.toISODate() ?? '' });
    found.spans.push([match.index, match.index + match[0].length]);
    return;
  }
}

function readResult(result: chrono.ParsedResult, today: DateTime, found: Found, window: TimeOfDay | undefined): void {
  const words = result.text.trim().toLowerCase();
  if (PAST.test(words) || WORD_LIKE.has(words) || WEEK.test(words)) return;
  const start = result.start;
  const span: [number, number] = [result.index, result.index + result.text.length];
  // Inside what was read already ("the 14th", "between 2 and 4pm"): not read twice.
  if (found.spans.some(([from, to]) => span[0] >= from && span[1] <= to)) return;
  const hasDay = start.isCertain('day') || start.isCertain('weekday');
  const relative = start.tags().has('result/relativeDate');
  let used = false;
  if (relative) {
    // Durations count only as "in two weeks" ("a 2 year old", "twice a day" are no dates).
    if (!/^(in|en|within|dentro de)\b/i.test(words) || start.isCertain('hour')) return;
    found.startDate ??= componentsDate(start);
    used = true;
  } else if (hasDay) {
    const from = componentsDate(start);
    // The past is no appointment time: a date of birth, or "yesterday".
    if (!from || from < (today.toISODate() ?? '')) return;
    const end = result.end && (result.end.isCertain('day') || result.end.isCertain('weekday')) ? componentsDate(result.end) : undefined;
    found.dates.push({ from, to: end && end > from ? end : from });
    used = true;
  }
  if (start.isCertain('hour') && !window) {
    const hour = start.get('hour') ?? 0;
    // chrono gives the hour of the day (15 for "3pm"); "at 3" it leaves at 3, and so does "3:00": unsure.
    const certain = start.isCertain('meridiem') || hour >= 12 || hour === 0;
    const end = result.end?.isCertain('hour') ? (result.end.get('hour') ?? 0) * 60 + (result.end.get('minute') ?? 0) : undefined;
    found.times.push({ minutes: hour * 60 + (start.get('minute') ?? 0), end, certain });
    used = true;
  }
  if (used) found.spans.push(span);
}

const componentsDate = (components: chrono.ParsedComponents) =>
  DateTime.fromObject({ year: components.get('year') ?? 0, month: components.get('month') ?? 0, day: components.get('day') ?? 0 }).toISODate() ?? undefined;

/** The first clock time chrono read ("at 3", "3pm", "from 2 to 4pm"), else the part of the day. */
function timeOfDay(found: Found, part: PartOfDay | undefined): TimeOfDay | undefined {
  const said = found.times[0];
  if (!said) return part ? { ...PARTS_OF_DAY[part], kind: part } : undefined;
  const hour = Math.floor(said.minutes / 60);
  const minutes = said.certain ? said.minutes : clinicHour(hour, undefined, part) * 60 + (said.minutes % 60);
  if (said.end !== undefined && said.end > minutes) return { from: clock(minutes), to: clock(said.end), kind: 'between' };
  return { from: clock(minutes), to: clock(minutes + AT_MINUTES), kind: 'at' };
}

function uniqueDates(dates: DateRange[]): DateRange[] {
  const seen = new Set<string>();
  return dates
    .filter((range) => !seen.has(`${range.from}/${range.to}`) && seen.add(`${range.from}/${range.to}`))
    .sort((a, b) => a.from.localeCompare(b.from));
}

/** The text without what `readWhen` read (what is left may name a practitioner or a place). */
export function withoutSpans(text: string, spans: [number, number][]): string {
  const kept = [...text];
  for (const [from, to] of spans) kept.fill(' ', from, to);
  return kept.join('');
}
