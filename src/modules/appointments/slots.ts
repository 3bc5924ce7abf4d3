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

/**
 * Reads what slot generation needs for `[fromMs, toMs)` in two queries: the weekly rules (with names;
 * active practitioners at active locations only), then the busy time of those practitioners: time
 * off, and active appointments unless `appointments` is false.
 */
export async function loadSchedule(ctx: AppContext, query: ScheduleQuery): Promise<{ rules: RuleRow[]; busy: Map<string, Interval[]> }> {
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
  const rules = await ctx.em.execute<RuleRow[]>(rulesSql, parameters);
  const busy = new Map<string, Interval[]>();
  if (rules.length === 0) return { rules, busy };

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
  return { rules, busy };
}

/**
 * Free (or, with `appointments: false`, scheduled) slots for the query, not before now: the first
 * `limit`, and whether there are more.
 */
export async function findSlots(ctx: AppContext, query: ScheduleQuery & { limit?: number }): Promise<{ slots: Slot[]; more: boolean }> {
  const fromMs = Math.max(query.fromMs, ctx.clock.now().getTime());
  if (fromMs >= query.toMs) return { slots: [], more: false };
  const { rules, busy } = await loadSchedule(ctx, { ...query, fromMs });
  return generateSlots({ rules, busy, fromMs, toMs: query.toMs, timeZone: ctx.tenant.timeZone, limit: query.limit });
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
