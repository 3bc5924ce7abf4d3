import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { AppError, notFound } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import type { AppointmentView } from './appointment-schema.js';
import { Appointment, Location, ScheduleException, ScheduleRule } from './entities.js';
import { requirePractitioner } from './practitioners.js';
import type { AddTimeOffInput, ListTimeOffInput, RemoveTimeOffInput, SetWeeklyScheduleInput, TimeOffView } from './schema.js';
import { fieldError, parseBound, parseInstant } from './time.js';
import { allowedTransitions } from './transitions.js';
import { appointmentView, practitionerView, ruleView, timeOffView } from './views.js';

/** Every location the rules name must be the clinic's and active; each wrong one is named by its path. */
async function requireLocations(ctx: AppContext, input: z.output<typeof SetWeeklyScheduleInput>): Promise<void> {
  const ids = [...new Set(input.rules.map((rule) => rule.locationId))];
  if (ids.length === 0) return;
  const found = new Map((await ctx.em.find(Location, { id: { $in: ids } })).map((location) => [location.id, location]));
  const issues = input.rules.flatMap((rule, index) => {
    const location = found.get(rule.locationId);
    if (location?.active) return [];
    return [{ path: `rules.${index}.locationId`, message: location ? `location ${location.name} is inactive` : `location ${rule.locationId} was not found` }];
  });
  if (issues.length > 0) {
    throw new AppError('unprocessable', `Unknown or inactive location: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, { issues });
  }
}

/**
 * Replaces the practitioner's weekly schedule. Windows are clinic local times and must not overlap
 * on a weekday while both are valid. Appointments already booked are kept even if they now fall
 * outside the schedule.
 */
export async function setWeeklySchedule(ctx: AppContext, input: z.output<typeof SetWeeklyScheduleInput>) {
  const practitioner = await requirePractitioner(ctx, input.id);
  await requireLocations(ctx, input);
  await ctx.em.nativeDelete(ScheduleRule, { tenantId: ctx.tenant.id, practitionerId: practitioner.id });
  const now = ctx.clock.now();
  const rules = input.rules.map((rule) =>
    ctx.em.create(ScheduleRule, {
      id: newId(),
      tenantId: ctx.tenant.id,
      practitionerId: practitioner.id,
      locationId: rule.locationId,
      weekday: rule.weekday,
      startTime: rule.startTime,
      endTime: rule.endTime,
      slotMinutes: rule.slotMinutes,
      validFrom: rule.validFrom ?? null,
      validUntil: rule.validUntil ?? null,
      createdAt: now,
      updatedAt: now,
    }),
  );
  rules.sort((a, b) => a.weekday - b.weekday || a.startTime.localeCompare(b.startTime) || (a.validFrom ?? '').localeCompare(b.validFrom ?? ''));
  recordEvent(ctx, { type: 'practitioner.schedule_set', entityType: 'practitioner', entityId: practitioner.id, payload: { rules: rules.length } });
  return { ...practitionerView(practitioner), weeklySchedule: rules.map(ruleView), timeZone: ctx.tenant.timeZone };
}

/**
 * Blocks `[startsAt, endsAt)`: no slots are offered in it. Appointments already booked inside it are
 * not cancelled; they are returned as `affectedAppointments` for staff to reschedule or cancel.
 */
export async function addTimeOff(
  ctx: AppContext,
  input: z.output<typeof AddTimeOffInput>,
): Promise<{ timeOff: TimeOffView; affectedAppointments: AppointmentView[] }> {
  const timeZone = ctx.tenant.timeZone;
  const startsAt = parseInstant(input.startsAt, timeZone, 'startsAt').toJSDate();
  const endsAt = parseInstant(input.endsAt, timeZone, 'endsAt').toJSDate();
  if (endsAt <= startsAt) throw fieldError('invalid_input', 'endsAt', 'endsAt must be after startsAt.');
  const practitioner = await requirePractitioner(ctx, input.id);
  const now = ctx.clock.now();
  const timeOff = ctx.em.create(ScheduleException, {
    id: newId(),
    tenantId: ctx.tenant.id,
    practitionerId: practitioner.id,
    startsAt,
    endsAt,
    reason: input.reason ?? null,
    createdAt: now,
    updatedAt: now,
  });
  const openStatuses = (Object.keys(allowedTransitions) as (keyof typeof allowedTransitions)[]).filter((status) => allowedTransitions[status].length > 0);
  const affected = await ctx.em.find(
    Appointment,
    { practitionerId: practitioner.id, status: { $in: openStatuses }, startAt: { $lt: endsAt }, endAt: { $gt: startsAt } },
    { orderBy: [{ startAt: 'asc' }, { id: 'asc' }] },
  );
  recordEvent(ctx, {
    type: 'practitioner.time_off_added',
    entityType: 'practitioner',
    entityId: practitioner.id,
    payload: { timeOffId: timeOff.id, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), affectedAppointmentIds: affected.map((appointment) => appointment.id) },
  });
  return { timeOff: timeOffView(timeOff, timeZone), affectedAppointments: affected.map((appointment) => appointmentView(appointment, timeZone)) };
}

/** The practitioner's time off overlapping the range (default: not yet over), earliest first. */
export async function listTimeOff(ctx: AppContext, input: z.output<typeof ListTimeOffInput>): Promise<{ items: TimeOffView[] }> {
  const timeZone = ctx.tenant.timeZone;
  const practitioner = await requirePractitioner(ctx, input.id);
  const from = input.from ? parseBound(input.from, timeZone, 'from', 'from').toJSDate() : ctx.clock.now();
  const to = input.to ? parseBound(input.to, timeZone, 'to', 'to').toJSDate() : undefined;
  const rows = await ctx.em.find(
    ScheduleException,
    { practitionerId: practitioner.id, endsAt: { $gt: from }, ...(to ? { startsAt: { $lt: to } } : {}) },
    { orderBy: [{ startsAt: 'asc' }, { id: 'asc' }], limit: 500 },
  );
  return { items: rows.map((row) => timeOffView(row, timeZone)) };
}

/** Removes a time off: its slots are offered again. Answers the removed entry. */
export async function removeTimeOff(ctx: AppContext, input: z.output<typeof RemoveTimeOffInput>): Promise<TimeOffView> {
  const practitioner = await requirePractitioner(ctx, input.id);
  const timeOff = await ctx.em.findOne(ScheduleException, { id: input.timeOffId, practitionerId: practitioner.id });
  if (!timeOff) throw notFound('Time off', input.timeOffId);
  ctx.em.remove(timeOff);
  recordEvent(ctx, { type: 'practitioner.time_off_removed', entityType: 'practitioner', entityId: practitioner.id, payload: { timeOffId: timeOff.id } });
  return timeOffView(timeOff, ctx.tenant.timeZone);
}
