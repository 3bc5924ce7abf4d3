import { DateTime } from 'luxon';
import type { When } from '../when.js';

/**
 * The stretches of time a slot search covers, from what the patient asked: each day or range they
 * named, or, with no day named, the days from now (or from the day they said) over `days` days; with
 * a time of day, only that part of each day. Earliest first, none before `from`.
 */

export type Window = { from: Date; to: Date };

/** A clinic-local date at a clinic-local "HH:MM" ("24:00": the next midnight). */
function at(date: DateTime, clock: string): DateTime {
  if (clock === '24:00') return date.startOf('day').plus({ days: 1 });
  const [hour, minute] = clock.split(':').map(Number);
  return date.set({ hour, minute, second: 0, millisecond: 0 });
}

/** One window a day for a time of day; one for the whole stretch without one. */
function windowsBetween(first: DateTime, last: DateTime, time: When['time']): Window[] {
  if (!time) return [{ from: first.startOf('day').toJSDate(), to: last.startOf('day').plus({ days: 1 }).toJSDate() }];
  const windows: Window[] = [];
  for (let day = first.startOf('day'); day <= last; day = day.plus({ days: 1 })) windows.push({ from: at(day, time.from).toJSDate(), to: at(day, time.to).toJSDate() });
  return windows;
}

export function searchWindows(when: When | undefined, options: { timeZone: string; from: Date; days: number }): Window[] {
  const from = DateTime.fromJSDate(options.from, { zone: options.timeZone });
  let windows: Window[];
  if (!when) windows = [{ from: options.from, to: from.plus({ days: options.days }).toJSDate() }];
  else if (when.dates.length > 0) {
    const day = (date: string) => DateTime.fromISO(date, { zone: options.timeZone });
    windows = when.dates.flatMap((range) => windowsBetween(day(range.from), day(range.to), when.time));
  } else {
    const start = when.startDate ? DateTime.fromISO(when.startDate, { zone: options.timeZone }) : from;
    const first = start > from ? start : from;
    windows = windowsBetween(first, first.plus({ days: options.days - 1 }), when.time);
  }
  return windows
    .map((window) => ({ from: new Date(Math.max(window.from.getTime(), options.from.getTime())), to: window.to }))
    .filter((window) => window.from < window.to)
    .sort((a, b) => a.from.getTime() - b.from.getTime());
}
