import { z } from 'zod';
import { pageInput } from '../../db/pagination.js';
import { Id, InstantInput, Timestamp } from '../../schema.js';

/** An event type (`appointment.booked`) or a family of them (`appointment.*`). */
export const EventTypePattern = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$|^\*$/, 'an event type like appointment.booked, a family like appointment.*, or *')
  .max(100);

export const EventView = z.object({
  id: Id.describe('The event id: stable, the same in a webhook delivery (`webhook-id`).'),
  type: z.string().describe('What happened, for example appointment.booked.'),
  entityType: z.string(),
  entityId: Id,
  occurredAt: Timestamp,
  data: z.record(z.string(), z.unknown()).describe('Ids, counts, flags and the names of changed fields; never a value of a patient’s record or a text someone wrote (fetch the entity for those).'),
});
export type EventView = z.infer<typeof EventView>;

export const ListEventsInput = z.strictObject({
  type: EventTypePattern.optional().describe('Only this type, or this family (appointment.*).'),
  entityType: z.string().trim().min(1).max(60).optional().describe('Only events of this kind of entity (appointment, patient, ticket, …).'),
  entityId: Id.optional().describe('Only events of this entity.'),
  since: InstantInput.optional().describe('Only events that happened at or after this instant.'),
  ...pageInput,
});

export const ListEventsOutput = z.object({
  items: z.array(EventView),
  nextCursor: z
    .string()
    .nullable()
    .describe('Where this page ended: pass it as `cursor` for the next page, now or later (polling). Null only when nothing was found and no cursor was given.'),
  more: z.boolean().describe('Whether more events are waiting right now after this page.'),
});
