import { DateTime, IANAZone } from 'luxon';
import { AppError } from '../../errors.js';

/** Clinic time: the clinic's IANA zone turns local wall-clock text into UTC instants and back. */

const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;

/** A 422 (or 400) that names the input field it is about, the way zod issues do. */
export function fieldError(
  code: 'invalid_input' | 'unprocessable',
  path: string,
  message: string,
  options: { issue?: string; details?: Record<string, unknown> } = {},
): AppError {
  return new AppError(code, message, { issues: [{ path, message: options.issue ?? message }], details: options.details });
}

/**
 * An instant from input text: ISO with an offset is that instant; ISO without one is wall-clock time
 * in the clinic's zone (a time skipped by a DST change moves forward, as clocks do).
 */
export function parseInstant(text: string, timeZone: string, path: string): DateTime {
  const instant = DateTime.fromISO(text, { zone: timeZone });
  if (!instant.isValid) throw fieldError('invalid_input', path, `${path} is not a valid date-time: ${instant.invalidExplanation ?? text}.`);
  return instant;
}

const isDateOnly = (text: string) => /^\d{4}-\d{2}-\d{2}$/.test(text);

/**
 * A range bound that is a date or an instant. A date means the start of that clinic day for `from`,
 * and the end of that clinic day for `to` (so `to=2026-12-05` includes the 5th).
 */
export function parseBound(text: string, timeZone: string, path: string, side: 'from' | 'to'): DateTime {
  const instant = parseInstant(text, timeZone, path);
  if (!isDateOnly(text)) return instant;
  return side === 'from' ? instant.startOf('day') : instant.startOf('day').plus({ days: 1 });
}

/** `[from, to)` in epoch milliseconds, checked: `to` after `from` and at most `maxDays` apart. */
export function parseRange(
  input: { from: string; to: string },
  timeZone: string,
  maxDays: number,
): { fromMs: number; toMs: number } {
  const fromMs = parseBound(input.from, timeZone, 'from', 'from').toMillis();
  const toMs = parseBound(input.to, timeZone, 'to', 'to').toMillis();
  if (toMs <= fromMs) throw fieldError('invalid_input', 'to', '`to` must be after `from`.');
  // One hour of slack: a range of whole local days across a DST change is an hour longer or shorter.
  if (toMs - fromMs > maxDays * DAY_MS + 3_600_000) throw fieldError('invalid_input', 'to', `The range may span at most ${maxDays} days.`);
  return { fromMs, toMs };
}

function offsetText(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const absolute = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`;
}

/**
 * ISO text of the instant in the clinic's wall-clock time with its offset (`2026-12-01T09:00:00-05:00`).
 * Built by hand rather than with luxon's `toISO`: the slot search formats many instants, and the
 * caller often knows the offset already.
 */
export function localIso(epochMs: number, timeZone: string, knownOffsetMinutes?: number): string {
  const offset = knownOffsetMinutes ?? IANAZone.create(timeZone).offset(epochMs);
  return new Date(epochMs + offset * MINUTE_MS).toISOString().slice(0, 19) + offsetText(offset);
}

/** "HH:MM" (00:00-24:00) as minutes after midnight. */
export function minutesOfDay(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours * 60 + minutes;
}
