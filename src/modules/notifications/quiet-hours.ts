import { IANAZone } from 'luxon';

/** A clinic's quiet hours: from `start` to `end` ("HH:MM", wall-clock time in its zone), crossing midnight when `end` is earlier. */
export type QuietHours = { start: string; end: string };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Quiet hours last at most a day, plus an hour a DST change may add: past this something is wrong with the zone. */
const HORIZON_MS = 2 * DAY_MS;
/** Offsets are looked at this far apart when looking for the next DST change; no zone changes twice within it. */
const TRANSITION_STEP_MS = 6 * 3_600_000;

const minutesOf = (time: string): number => {
  const [hours, minutes] = time.split(':').map(Number);
  return hours * 60 + minutes;
};

/** The first instant in (`from`, `until`] whose offset differs from `from`'s, to the millisecond; null when there is none. */
function nextTransition(offset: (at: number) => number, from: number, until: number): number | null {
  const before = offset(from);
  for (let low = from; low < until; low += TRANSITION_STEP_MS) {
    let high = Math.min(low + TRANSITION_STEP_MS, until);
    if (offset(high) === before) continue;
    let unchanged = low;
    while (high - unchanged > 1) {
      const middle = Math.floor((unchanged + high) / 2);
      if (offset(middle) === before) unchanged = middle;
      else high = middle;
    }
    return high;
  }
  return null;
}

/**
 * When the clinic's quiet hours that hold at `now` end: the first instant after `now` whose wall-clock
 * time in `timeZone` is outside the window; null when `now` is outside it. Correct across DST changes:
 * between two changes the wall clock runs with the instant, so the window ends when the wall clock
 * reads `end`; a change on the way may move the wall clock out of the window first (spring forward
 * past `end`: the window ends at the change), or back into it (fall back: it goes on).
 */
export function quietHoursEnd(now: Date, window: QuietHours, timeZone: string): Date | null {
  const zone = IANAZone.create(timeZone);
  const offset = (at: number) => zone.offset(at) * MINUTE_MS;
  const start = minutesOf(window.start) * MINUTE_MS;
  const end = minutesOf(window.end) * MINUTE_MS;
  const inside = (at: number) => {
    const wall = (((at + offset(at)) % DAY_MS) + DAY_MS) % DAY_MS;
    return start < end ? wall >= start && wall < end : wall >= start || wall < end;
  };
  let at = now.getTime();
  if (!inside(at)) return null;
  const horizon = at + HORIZON_MS;
  while (at < horizon) {
    const wall = at + offset(at);
    let endWall = Math.floor(wall / DAY_MS) * DAY_MS + end;
    if (endWall <= wall) endWall += DAY_MS;
    const endAt = endWall - offset(at);
    const change = nextTransition(offset, at, endAt);
    if (change === null) return new Date(endAt);
    if (!inside(change)) return new Date(change);
    at = change;
  }
  throw new Error(`Quiet hours ${window.start}-${window.end} in ${timeZone} do not end within two days of ${now.toISOString()}`);
}
