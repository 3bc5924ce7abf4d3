import { DateTime } from 'luxon';
import { MINUTE_MS, minutesOfDay } from './time.js';

/**
 * Free slots, computed in memory from what `loadSchedule` read. Pure: no database, no clock.
 *
 * Weekly rules are wall-clock windows in the clinic's zone, so luxon turns each day's window edges
 * into instants (right across DST changes); slots inside a window are then stepped in epoch
 * milliseconds, and busy time is subtracted with one sorted sweep per practitioner.
 */

export type RuleRow = {
  practitionerId: string;
  practitionerName: string;
  locationId: string;
  locationName: string;
  weekday: number;
  startTime: string;
  endTime: string;
  slotMinutes: number;
  validFrom: string | null;
  validUntil: string | null;
};

/** `[startMs, endMs)`. */
export type Interval = { startMs: number; endMs: number };

export type Slot = {
  rule: RuleRow;
  startMs: number;
  endMs: number;
  /** The clinic's UTC offset for the whole window, when it does not change inside it. */
  offsetMinutes: number | undefined;
};

type Edge = { ms: number; offset: number };

/** One clinic day: its date, weekday, and the instants of the wall-clock times asked of it. */
class ClinicDay {
  readonly date: string;
  readonly weekday: number;
  private readonly startMs: number;
  /** The day's UTC offset when it is the same at both midnights, as on every day without a DST change. */
  private readonly steadyOffset: number | undefined;
  private readonly edges = new Map<string, Edge>();

  constructor(
    private readonly start: DateTime,
    private readonly end: DateTime,
  ) {
    this.date = start.toISODate() ?? '';
    this.weekday = start.weekday;
    this.startMs = start.toMillis();
    // Where midnight itself is skipped (DST at 00:00), the day starts at 01:00: not steady either.
    this.steadyOffset = start.offset === end.offset && start.hour === 0 && start.minute === 0 ? start.offset : undefined;
  }

  /** "HH:MM" of this day as an instant; "24:00" is the next day's midnight. Cached per day. */
  at(time: string): Edge {
    let edge = this.edges.get(time);
    if (!edge) {
      const minutes = minutesOfDay(time);
      if (this.steadyOffset !== undefined) {
        edge = { ms: this.startMs + minutes * MINUTE_MS, offset: this.steadyOffset };
      } else {
        // A DST day: luxon places the wall-clock time (a skipped time moves forward).
        const instant = minutes === 24 * 60 ? this.end : this.start.set({ hour: Math.floor(minutes / 60), minute: minutes % 60 });
        edge = { ms: instant.toMillis(), offset: instant.offset };
      }
      this.edges.set(time, edge);
    }
    return edge;
  }
}

/**
 * The clinic days that touch `[fromMs, toMs)`, made on first use and shared by every practitioner:
 * a search that stops early (enough slots) never pays for the days it did not reach.
 */
export class ClinicCalendar {
  private readonly days: ClinicDay[] = [];
  private next: DateTime;

  constructor(
    fromMs: number,
    private readonly toMs: number,
    timeZone: string,
  ) {
    this.next = DateTime.fromMillis(fromMs, { zone: timeZone }).startOf('day');
  }

  /** The `index`-th day of the range, or undefined past its end. */
  day(index: number): ClinicDay | undefined {
    while (this.days.length <= index && this.next.toMillis() < this.toMs) {
      // startOf('day') again each time: after a day whose midnight was skipped, adding a day would
      // keep its 01:00 start for ever.
      const following = this.next.plus({ days: 1 }).startOf('day');
      this.days.push(new ClinicDay(this.next, following));
      this.next = following;
    }
    return this.days[index];
  }
}

/** Sorted, overlapping or touching intervals joined: disjoint and ordered, so ends rise too. */
export function mergeIntervals(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.startMs - b.startMs);
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged.at(-1);
    if (last && interval.startMs <= last.endMs) last.endMs = Math.max(last.endMs, interval.endMs);
    else merged.push({ ...interval });
  }
  return merged;
}

/** A merged busy list read with a forward-only cursor; asking about an earlier start rewinds it. */
class BusySweep {
  private index = 0;
  private lastStart = -Infinity;

  constructor(private readonly intervals: Interval[]) {}

  isFree(startMs: number, endMs: number): boolean {
    const intervals = this.intervals;
    if (startMs < this.lastStart) this.index = 0; // only if windows overlap, which set_weekly_schedule refuses
    this.lastStart = startMs;
    while (this.index < intervals.length && intervals[this.index].endMs <= startMs) this.index++;
    return this.index === intervals.length || intervals[this.index].startMs >= endMs;
  }
}

/**
 * Appends the window's slots that start in `[fromMs, toMs)` and overlap no busy interval, until
 * `into` holds `limit + 1`. Slot starts rise, so `busy` is swept once per practitioner.
 */
function windowSlots(rule: RuleRow, day: ClinicDay, range: { fromMs: number; toMs: number }, busy: BusySweep, into: Slot[], limit: number): void {
  const start = day.at(rule.startTime);
  const end = day.at(rule.endTime);
  const step = rule.slotMinutes * MINUTE_MS;
  const offsetMinutes = start.offset === end.offset ? start.offset : undefined;
  // Jump straight to the first slot starting at or after `fromMs`, keeping the window's grid.
  const skip = range.fromMs > start.ms ? Math.ceil((range.fromMs - start.ms) / step) : 0;
  for (let slotStart = start.ms + skip * step; slotStart + step <= end.ms && slotStart < range.toMs && into.length <= limit; slotStart += step) {
    if (busy.isFree(slotStart, slotStart + step)) into.push({ rule, startMs: slotStart, endMs: slotStart + step, offsetMinutes });
  }
}

const byStartThenPractitioner = (a: Slot, b: Slot) =>
  a.startMs - b.startMs || (a.rule.practitionerId < b.rule.practitionerId ? -1 : a.rule.practitionerId > b.rule.practitionerId ? 1 : 0);

/**
 * Free slots in `[fromMs, toMs)` (by start), sorted by start then practitioner id: the first `limit`,
 * and whether there are more. `busy` holds, per practitioner, the intervals to leave out (time off,
 * appointments). No practitioner can contribute more than `limit + 1` slots to the answer, so each
 * stops there: a short search over many weeks generates only what it may return.
 */
export function generateSlots(options: {
  rules: RuleRow[];
  busy: Map<string, Interval[]>;
  fromMs: number;
  toMs: number;
  timeZone: string;
  limit?: number;
}): { slots: Slot[]; more: boolean } {
  const { rules, fromMs, toMs } = options;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (rules.length === 0 || toMs <= fromMs) return { slots: [], more: false };
  const calendar = new ClinicCalendar(fromMs, toMs, options.timeZone);

  const byPractitioner = new Map<string, RuleRow[][]>();
  for (const rule of rules) {
    let byWeekday = byPractitioner.get(rule.practitionerId);
    if (!byWeekday) byPractitioner.set(rule.practitionerId, (byWeekday = Array.from({ length: 8 }, () => [])));
    byWeekday[rule.weekday].push(rule);
  }

  const all: Slot[] = [];
  for (const [practitionerId, byWeekday] of byPractitioner) {
    for (const list of byWeekday) list.sort((a, b) => minutesOfDay(a.startTime) - minutesOfDay(b.startTime));
    const busy = new BusySweep(mergeIntervals(options.busy.get(practitionerId) ?? []));
    const free: Slot[] = [];
    for (let index = 0, day = calendar.day(0); day && free.length <= limit; day = calendar.day(++index)) {
      for (const rule of byWeekday[day.weekday]) {
        if ((rule.validFrom && day.date < rule.validFrom) || (rule.validUntil && day.date > rule.validUntil)) continue;
        windowSlots(rule, day, { fromMs, toMs }, busy, free, limit);
      }
    }
    for (const slot of free) all.push(slot);
  }
  all.sort(byStartThenPractitioner);
  return { slots: all.length > limit ? all.slice(0, limit) : all, more: all.length > limit };
}
