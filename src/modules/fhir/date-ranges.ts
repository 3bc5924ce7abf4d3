import { DateTime } from 'luxon';
import { isYearInRange } from '../../schema.js';

/**
 * A date as FHIR search reads it: the whole range its precision covers, from `start` (inclusive) to
 * `end` (exclusive). `2026` is the year, `2026-03` the month, `2026-03-05` the day, all in the clinic's
 * time zone; `2026-03-05T09:30` the minute (clinic time without an offset), with seconds the second.
 */
export type DateRange = { start: DateTime; end: DateTime; hasTime: boolean };

const CALENDAR = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::(\d{2})(\.\d{1,9})?)?(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)?$/;

/** The range `text` covers, or undefined when it is no FHIR date (or a year outside 1900–9999). */
export function dateRange(text: string, timeZone: string): DateRange | undefined {
  const calendar = CALENDAR.exec(text);
  if (calendar) {
    const [, year, month, day] = calendar;
    const start = DateTime.fromObject({ year: Number(year), month: month ? Number(month) : 1, day: day ? Number(day) : 1 }, { zone: timeZone });
    if (!start.isValid || !isYearInRange(start.year)) return undefined;
    return { start, end: start.plus(day ? { days: 1 } : month ? { months: 1 } : { years: 1 }), hasTime: false };
  }
  const dateTime = DATE_TIME.exec(text);
  if (!dateTime) return undefined;
  const start = DateTime.fromISO(text, { zone: timeZone });
  if (!start.isValid || !isYearInRange(start.year)) return undefined;
  const [, seconds, fraction] = dateTime;
  return { start, end: start.plus(fraction ? { milliseconds: 1 } : seconds ? { seconds: 1 } : { minutes: 1 }), hasTime: true };
}

export const supportedPrefixes = ['eq', 'ge', 'gt', 'le', 'lt'] as const;
export type Prefix = (typeof supportedPrefixes)[number];
export const isSupportedPrefix = (prefix: string): prefix is Prefix => (supportedPrefixes as readonly string[]).includes(prefix);
const PREFIX = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)(?=\d)/;

/** `ge2026-01-01` as prefix and date; no prefix is `eq`. A prefix FHIR has but this server does not (`ne`, `sa`, `eb`, `ap`) is returned as it is, for the caller to refuse. */
export function splitPrefix(value: string): { prefix: string; date: string } {
  const prefix = PREFIX.exec(value)?.[1];
  return prefix ? { prefix, date: value.slice(prefix.length) } : { prefix: 'eq', date: value };
}

/**
 * The bounds a value of `property` must keep for `prefix` against `range`, per FHIR's rule that the
 * value's range and the searched one meet: `eq` inside the range, `ge` from its start, `gt` from its
 * end, `le` before its end, `lt` before its start. `bound` turns a moment into what the column holds.
 */
export function rangeBounds<Bound>(prefix: Prefix, range: DateRange, bound: (moment: DateTime) => Bound): Record<string, Bound> {
  switch (prefix) {
    case 'eq':
      return { $gte: bound(range.start), $lt: bound(range.end) };
    case 'ge':
      return { $gte: bound(range.start) };
    case 'gt':
      return { $gte: bound(range.end) };
    case 'le':
      return { $lt: bound(range.end) };
    case 'lt':
      return { $lt: bound(range.start) };
  }
}
