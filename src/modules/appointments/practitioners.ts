import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { invalid, notFound } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { Practitioner, ScheduleRule } from './entities.js';
import type { CreatePractitionerInput, ListPractitionersInput, PractitionerView, UpdatePractitionerInput } from './schema.js';
import { practitionerView, ruleView } from './views.js';

export async function requirePractitioner(ctx: AppContext, id: string): Promise<Practitioner> {
  const practitioner = await ctx.em.findOne(Practitioner, { id });
  if (!practitioner) throw notFound('Practitioner', id);
  return practitioner;
}

/** The practitioner with the weekly schedule, by weekday and start time. */
export async function practitionerWithSchedule(ctx: AppContext, practitioner: Practitioner) {
  const rules = await ctx.em.find(ScheduleRule, { practitionerId: practitioner.id });
  rules.sort((a, b) => a.weekday - b.weekday || a.startTime.localeCompare(b.startTime) || (a.validFrom ?? '').localeCompare(b.validFrom ?? ''));
  return { ...practitionerView(practitioner), weeklySchedule: rules.map(ruleView), timeZone: ctx.tenant.timeZone };
}

/** Adds a practitioner; slots appear once a weekly schedule is set. */
export async function createPractitioner(ctx: AppContext, input: z.output<typeof CreatePractitionerInput>): Promise<PractitionerView> {
  const now = ctx.clock.now();
  const practitioner = ctx.em.create(Practitioner, {
    id: newId(),
    tenantId: ctx.tenant.id,
    name: input.name,
    specialty: input.specialty ?? null,
    email: input.email?.toLowerCase() ?? null,
    phone: input.phone ?? null,
    active: true,
    createdAt: now,
    updatedAt: now,
  });
  recordEvent(ctx, { type: 'practitioner.created', entityType: 'practitioner', entityId: practitioner.id, payload: { specialty: practitioner.specialty } });
  return practitionerView(practitioner);
}

/** Practitioners by name, optionally only active (or inactive) ones of a specialty. */
export async function listPractitioners(ctx: AppContext, input: z.output<typeof ListPractitionersInput>): Promise<{ items: PractitionerView[] }> {
  const rows = await ctx.em.find(
    Practitioner,
    {
      ...(input.active === undefined ? {} : { active: input.active }),
      // Escaped so that `%` or `_` in the text match themselves: the filter is exact, only case-blind.
      ...(input.specialty ? { specialty: { $ilike: input.specialty.replace(/[\\%_]/g, (character) => `\\${character}`) } } : {}),
    },
    { orderBy: [{ name: 'asc' }, { id: 'asc' }] },
  );
  return { items: rows.map(practitionerView) };
}

/** One practitioner with the weekly schedule. */
export async function getPractitioner(ctx: AppContext, id: string) {
  return practitionerWithSchedule(ctx, await requirePractitioner(ctx, id));
}

/**
 * Changes the practitioner's details; `active: false` deactivates (no slots, no new bookings).
 * Booked appointments are kept either way: staff decide what happens to them.
 */
export async function updatePractitioner(ctx: AppContext, input: z.output<typeof UpdatePractitionerInput>): Promise<PractitionerView> {
  const { id, ...changes } = input;
  if (Object.keys(changes).length === 0) throw invalid('Give at least one field to change.', [{ path: '(input)', message: 'no changes' }]);
  const practitioner = await requirePractitioner(ctx, id);
  if (changes.name !== undefined) practitioner.name = changes.name;
  if (changes.specialty !== undefined) practitioner.specialty = changes.specialty;
  if (changes.email !== undefined) practitioner.email = changes.email?.toLowerCase() ?? null;
  if (changes.phone !== undefined) practitioner.phone = changes.phone;
  const activeChanged = changes.active !== undefined && changes.active !== practitioner.active;
  if (changes.active !== undefined) practitioner.active = changes.active;
  practitioner.updatedAt = ctx.clock.now();
  const type = activeChanged ? (practitioner.active ? 'practitioner.reactivated' : 'practitioner.deactivated') : 'practitioner.updated';
  recordEvent(ctx, { type, entityType: 'practitioner', entityId: practitioner.id, payload: { changes } });
  return practitionerView(practitioner);
}
