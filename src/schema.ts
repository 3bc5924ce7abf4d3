import { DateTime } from 'luxon';
import { z } from 'zod';

/** Shapes shared across modules. */
export const Id = z.uuid();
/** An instant in output: ISO 8601 with offset. */
export const Timestamp = z.iso.datetime({ offset: true });

/**
 * The years a date or an instant in input may fall in. Anything outside is a typo or a probe, and
 * some of it (year 0, year 275760) PostgreSQL or JavaScript cannot even hold.
 */
export const FIRST_YEAR = 1900;
export const LAST_YEAR = 9999;
export const isYearInRange = (year: number): boolean => year >= FIRST_YEAR && year <= LAST_YEAR;
const yearRange = { message: `Years from ${FIRST_YEAR} to ${LAST_YEAR} only.` };

/** Offsets as the world uses them: up to ±14:00, minutes below 60. */
const OFFSET = '[+-](?:0\\d|1[0-4]):[0-5]\\d';
const LOCAL_DATE_TIME = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?';

function instantInput(offset: 'required' | 'optional') {
  const zone = offset === 'required' ? `(?:Z|${OFFSET})` : `(?:Z|${OFFSET})?`;
  const example = offset === 'required' ? '2026-12-01T14:30:00Z or 2026-12-01T09:30:00-05:00' : '2026-12-01T09:30 (clinic time) or 2026-12-01T14:30:00Z';
  return z
    .string()
    .regex(new RegExp(`^${LOCAL_DATE_TIME}${zone}$`), { message: `Expected an ISO 8601 date-time such as ${example}.`, abort: true })
    .refine((text) => DateTime.fromISO(text, { setZone: true }).isValid, { message: 'Not a real date and time.', abort: true })
    .refine((text) => isYearInRange(Number(text.slice(0, 4))), yearRange);
}

/** An instant in input: ISO 8601 with an offset (`Z`, `-05:00`); seconds are optional. */
export const InstantInput = instantInput('required');
/**
 * An instant in input: ISO 8601 with an offset (`Z`, `+05:30`), or without one to mean the clinic's
 * local time. Seconds are optional either way.
 */
export const TimestampInput = instantInput('optional');
/** A calendar date, YYYY-MM-DD. (A text that is no date at all is reported once, by the format.) */
export const DateOnly = z.iso.date().refine((text) => !/^\d{4}-/.test(text) || isYearInRange(Number(text.slice(0, 4))), yearRange);

export const toIso = (date: Date): string => date.toISOString();
export const toIsoOrNull = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);
