import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { DomainEvent } from '../../events.js';
import { decodeCursor, encodeCursor } from '../../db/pagination.js';
import type { EventView, ListEventsInput, ListEventsOutput } from './schema.js';

/**
 * An event enters the feed this long after it happened. Events are ordered by when they happened, and
 * one is written in the transaction of its change: one that commits after a later event would
 * otherwise land behind a poller's cursor and be skipped.
 */
export const FEED_SETTLE_MS = 5_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFieldNames = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * What an event's payload shows outside the service: ids, counts and flags, and the names of the
 * fields that changed (`fields`, `…Fields`, and the keys of `changes` as `changedFields`).
 * Any other text is left out: it may be a patient's data or something a person wrote. A subscriber
 * reads the entity with its own key for the rest (and the run log records that read).
 */
export function eventData(payload: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const changed = new Set<string>();
  for (const [key, value] of Object.entries(payload)) {
    if (typeof value === 'number' || typeof value === 'boolean' || (typeof value === 'string' && UUID.test(value))) data[key] = value;
    else if (/fields$/i.test(key) && isFieldNames(value)) data[key] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string' && UUID.test(item))) data[key] = value;
    else if (key === 'changes' && isRecord(value)) Object.keys(value).forEach((name) => changed.add(name));
    else if (key === 'before') continue; // the old values: text as much as the new
    else if (isRecord(value)) {
      const inner = eventData(value);
      if (Object.keys(inner).length > 0) data[key] = inner;
    }
  }
  if (changed.size > 0) data.changedFields = [...changed].sort();
  return data;
}

export const eventView = (event: DomainEvent): EventView => ({
  id: event.id,
  type: event.type,
  entityType: event.entityType,
  entityId: event.entityId,
  occurredAt: event.occurredAt.toISOString(),
  data: eventData(event.payload),
});

/** `appointment.*` as a LIKE pattern (the type's own `_` and `%` taken literally). */
const likePrefix = (family: string) => `${family.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;

function typeCondition(pattern: string | undefined) {
  if (pattern === undefined || pattern === '*') return {};
  return pattern.endsWith('.*') ? { type: { $like: likePrefix(pattern.slice(0, -1)) } } : { type: pattern };
}

/** The clinic's events, oldest first, from a cursor: a feed to page through and to poll. */
export async function listEvents(ctx: AppContext, input: z.output<typeof ListEventsInput>): Promise<z.input<typeof ListEventsOutput>> {
  const position = decodeCursor(input.cursor);
  const settled = new Date(ctx.clock.now().getTime() - FEED_SETTLE_MS);
  const rows = await ctx.em.find(
    DomainEvent,
    {
      ...typeCondition(input.type),
      ...(input.entityType ? { entityType: input.entityType } : {}),
      ...(input.entityId ? { entityId: input.entityId } : {}),
      $and: [
        { occurredAt: { $lte: settled } },
        ...(input.since ? [{ occurredAt: { $gte: new Date(input.since) } }] : []),
        ...(position ? [{ $or: [{ occurredAt: { $gt: position.at } }, { occurredAt: position.at, id: { $gt: position.id } }] }] : []),
      ],
    },
    { orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }], limit: input.limit + 1 },
  );
  const more = rows.length > input.limit;
  const items = more ? rows.slice(0, input.limit) : rows;
  const last = items.at(-1);
  return { items: items.map(eventView), nextCursor: last ? encodeCursor({ at: last.occurredAt, id: last.id }) : (input.cursor ?? null), more };
}
