import type { z } from 'zod';
import { DateTime } from 'luxon';
import type { AppContext } from '../../context.js';
import type { SearchSlotsInput, SlotView } from './appointment-schema.js';
import { generateSlots, type Interval, type RuleRow, type Slot } from './slot-generation.js';
import { localIso, parseRange } from './time.js';

export const MAX_SEARCH_DAYS = 62;

type ScheduleQuery = {
  fromMs: number;
  toMs: number;
  practitionerIds?: string[];
  locationId?: string;
  specialty?: string;
  /** Subtract active appointments: true when searching; false when checking that a start is on the schedule at all. */
  appointments: boolean;
  /** An appointment whose own time counts as free (the one being rescheduled). */
  exceptAppointmentId?: string;
};

type BusyRow = { practitionerId: string; busy: string };

// Plain SQL rather than entities: one joined query for the rules, no hydration of thousands of rows
// that only feed arithmetic. The tenant filter does not reach plain SQL, so each query names the tenant.
const RULES_SQL = `select r.practitioner_id as "practitionerId", p.name as "practitionerName",
    r.location_id as "locationId", l.name as "locationName", r.weekday, r.start_time as "startTime",
    r.end_time as "endTime", r.slot_minutes as "slotMinutes", r.valid_from::text as "validFrom", r.valid_until::text as "validUntil"
  from schedule_rule r
  join practitioner p on p.id = r.practitioner_id and p.tenant_id = r.tenant_id
  join location l on l.id = r.location_id and l.tenant_id = r.tenant_id
  where r.tenant_id = ? and p.active and l.active
    and (r.valid_from is null or r.valid_from <= ?::date) and (r.valid_until is null or r.valid_until >= ?::date)`;

// Busy time comes back as one text per practitioner, "start/end,start/end,..." in epoch milliseconds
// (start rounded down, end up): thousands of appointments cost one short row each practitioner
// instead of a row each, which is most of the search's time on the embedded database.
const epochMs = (column: string, round: 'floor' | 'ceil') => `${round}(date_part('epoch', ${column}) * 1000)::bigint`;
const TIME_OFF_SQL = `select practitioner_id, starts_at as start_at, ends_at as end_at from schedule_exception
  where tenant_id = ? and practitioner_id in (?) and starts_at < ?::timestamptz and ends_at > ?::timestamptz`;
// Appointments last at most one slot (8 hours), so a start a day before `from` bounds the index scan.
const APPOINTMENTS_SQL = `select practitioner_id, start_at, end_at from appointment
  where tenant_id = ? and practitioner_id in (?) and start_at < ?::timestamptz
    and start_at > ?::timestamptz - interval '1 day' and end_at > ?::timestamptz
    and status not in ('cancelled', 'no_show') and id <> ?`;

const NO_APPOINTMENT = '00000000-0000-0000-0000-000000000000';

/** The weekly rules in force in `[fromMs, toMs)` (with names; active practitioners at active locations only). */
async function loadRules(ctx: AppContext, query: ScheduleQuery): Promise<RuleRow[]> {
  const zone = ctx.tenant.timeZone;
  const firstDate = DateTime.fromMillis(query.fromMs, { zone }).toISODate();
  const lastDate = DateTime.fromMillis(query.toMs - 1, { zone }).toISODate();
  let rulesSql = RULES_SQL;
  const parameters: unknown[] = [ctx.tenant.id, lastDate, firstDate];
  if (query.practitionerIds) {
    rulesSql += ' and r.practitioner_id in (?)';
    parameters.push(query.practitionerIds);
  }
  if (query.locationId) {
    rulesSql += ' and r.location_id = ?';
    parameters.push(query.locationId);
  }
  if (query.specialty) {
    rulesSql += ' and lower(p.specialty) = lower(?)';
    parameters.push(query.specialty);
  }
  return ctx.em.execute<RuleRow[]>(rulesSql, parameters);
}

/** The busy time in `[fromMs, toMs)` of the rules' practitioners: time off, and active appointments unless `appointments` is false. */
async function loadBusy(ctx: AppContext, rules: RuleRow[], query: ScheduleQuery): Promise<Map<string, Interval[]>> {
  const busy = new Map<string, Interval[]>();
  if (rules.length === 0) return busy;
  const practitionerIds = [...new Set(rules.map((rule) => rule.practitionerId))];
  const from = new Date(query.fromMs).toISOString();
  const to = new Date(query.toMs).toISOString();
  const sources = [TIME_OFF_SQL, ...(query.appointments ? [APPOINTMENTS_SQL] : [])].join(' union all ');
  const busyParameters = [
    ...[ctx.tenant.id, practitionerIds, to, from],
    ...(query.appointments ? [ctx.tenant.id, practitionerIds, to, from, from, query.exceptAppointmentId ?? NO_APPOINTMENT] : []),
  ];
  const rows = await ctx.em.execute<BusyRow[]>(
    `select practitioner_id as "practitionerId", string_agg(${epochMs('start_at', 'floor')} || '/' || ${epochMs('end_at', 'ceil')}, ',') as busy
      from (${sources}) busy group by practitioner_id`,
    busyParameters,
  );
  for (const row of rows) {
    busy.set(
      row.practitionerId,
      row.busy.split(',').map((pair) => {
        const separator = pair.indexOf('/');
        return { startMs: Number(pair.slice(0, separator)), endMs: Number(pair.slice(separator + 1)) };
      }),
    );
  }
  return busy;
}

/** Rules and busy time for the whole of `[fromMs, toMs)`, in two queries (the bench times it as a part). */
export async function loadSchedule(ctx: AppContext, query: ScheduleQuery): Promise<{ rules: RuleRow[]; busy: Map<string, Interval[]> }> {
  const rules = await loadRules(ctx, query);
  return { rules, busy: await loadBusy(ctx, rules, query) };
}

/** Days of the first window of a limited search; each next window is twice as long. */
const FIRST_WINDOW_DAYS = 3;

/**
 * Free (or, with `appointments: false`, scheduled) slots for the query, not before now: the first
 * `limit`, and whether there are more. A limited search reads busy time window by window (3 clinic
 * days, then 6, 12 …) and stops once it has enough: the next free times rarely need a month of
 * bookings. Windows end at clinic midnight, where no slot crosses.
 */
export async function findSlots(ctx: AppContext, query: ScheduleQuery & { limit?: number }): Promise<{ slots: Slot[]; more: boolean }> {
  const fromMs = Math.max(query.fromMs, ctx.clock.now().getTime());
  if (fromMs >= query.toMs) return { slots: [], more: false };
  const timeZone = ctx.tenant.timeZone;
  const rules = await loadRules(ctx, { ...query, fromMs });
  if (rules.length === 0) return { slots: [], more: false };
  const found: Slot[] = [];
  const limit = query.limit ?? Number.POSITIVE_INFINITY;
  let windowStart = fromMs;
  for (let days = FIRST_WINDOW_DAYS; windowStart < query.toMs; days *= 2) {
    const windowEnd = query.limit === undefined ? query.toMs : Math.min(query.toMs, DateTime.fromMillis(windowStart, { zone: timeZone }).startOf('day').plus({ days }).toMillis());
    const busy = await loadBusy(ctx, rules, { ...query, fromMs: windowStart, toMs: windowEnd });
    const { slots, more } = generateSlots({ rules, busy, fromMs: windowStart, toMs: windowEnd, timeZone, limit: limit - found.length });
    found.push(...slots);
    if (more) return { slots: found, more: true };
    windowStart = windowEnd;
  }
  return { slots: found, more: false };
}

export function slotView(slot: Slot, timeZone: string): SlotView {
  return {
    practitionerId: slot.rule.practitionerId,
    practitionerName: slot.rule.practitionerName,
    locationId: slot.rule.locationId,
    locationName: slot.rule.locationName,
    startAt: new Date(slot.startMs).toISOString(),
    endAt: new Date(slot.endMs).toISOString(),
    startLocal: localIso(slot.startMs, timeZone, slot.offsetMinutes),
    endLocal: localIso(slot.endMs, timeZone, slot.offsetMinutes),
    timeZone,
    minutes: slot.rule.slotMinutes,
  };
}

/**
 * Free slots between `from` and `to` (at most 62 days): weekly windows within their validity, minus
 * time off, minus active appointments, minus the past. Sorted by start, then practitioner.
 */
export async function searchSlots(ctx: AppContext, input: z.output<typeof SearchSlotsInput>) {
  const timeZone = ctx.tenant.timeZone;
  const { fromMs, toMs } = parseRange(input, timeZone, MAX_SEARCH_DAYS);
  const { slots, more } = await findSlots(ctx, {
    fromMs,
    toMs,
    practitionerIds: input.practitionerId,
    locationId: input.locationId,
    specialty: input.specialty,
    appointments: true,
    limit: input.limit,
  });
  return { items: slots.map((slot) => slotView(slot, timeZone)), truncated: more, timeZone };
}
