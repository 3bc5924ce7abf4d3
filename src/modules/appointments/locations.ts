import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { invalid, notFound } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { Location } from './entities.js';
import type { CreateLocationInput, ListLocationsInput, LocationView, UpdateLocationInput } from './schema.js';
import { locationView } from './views.js';

export async function requireLocation(ctx: AppContext, id: string): Promise<Location> {
  const location = await ctx.em.findOne(Location, { id });
  if (!location) throw notFound('Location', id);
  return location;
}

/** Adds a place where practitioners see patients. */
export async function createLocation(ctx: AppContext, input: z.output<typeof CreateLocationInput>): Promise<LocationView> {
  const now = ctx.clock.now();
  const location = ctx.em.create(Location, {
    id: newId(),
    tenantId: ctx.tenant.id,
    name: input.name,
    address: input.address ?? null,
    phone: input.phone ?? null,
    active: true,
    createdAt: now,
    updatedAt: now,
  });
  recordEvent(ctx, { type: 'location.created', entityType: 'location', entityId: location.id, payload: { name: location.name } });
  return locationView(location);
}

/** The clinic's locations by name; a clinic has few, so there is no paging. */
export async function listLocations(ctx: AppContext, input: z.output<typeof ListLocationsInput>): Promise<{ items: LocationView[] }> {
  const rows = await ctx.em.find(Location, input.active === undefined ? {} : { active: input.active }, { orderBy: [{ name: 'asc' }, { id: 'asc' }] });
  return { items: rows.map(locationView) };
}

/** Changes name, address, phone or active; only the fields given change. */
export async function updateLocation(ctx: AppContext, input: z.output<typeof UpdateLocationInput>): Promise<LocationView> {
  const { id, ...changes } = input;
  if (Object.keys(changes).length === 0) throw invalid('Give at least one field to change.', [{ path: '(input)', message: 'no changes' }]);
  const location = await requireLocation(ctx, id);
  if (changes.name !== undefined) location.name = changes.name;
  if (changes.address !== undefined) location.address = changes.address;
  if (changes.phone !== undefined) location.phone = changes.phone;
  if (changes.active !== undefined) location.active = changes.active;
  location.updatedAt = ctx.clock.now();
  recordEvent(ctx, { type: 'location.updated', entityType: 'location', entityId: location.id, payload: { changes } });
  return locationView(location);
}
