import { z } from 'zod';
import { pageInput, pageOutput } from '../../db/pagination.js';
import { Id, InstantInput, Timestamp } from '../../schema.js';
import { ShownOnce } from '../../tools/logged-input.js';
import { callbackRoles, endpointKinds } from './entities.js';

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

const EventTypes = z.array(EventTypePattern).min(1).max(50).describe('The event types it receives: exact (appointment.booked), a family (appointment.*) or every event (*).');
const EndpointUrl = z.string().trim().min(1).max(2_000).describe('Where deliveries are POSTed (http or https). An address on a loopback, private or link-local network is refused unless its host is in PRM_WEBHOOK_ALLOWED_HOSTS.');
const EndpointId = Id.describe('The endpoint id.');
const CallbackRole = z
  .enum(callbackRoles)
  .nullable()
  .describe('n8n only: the role the endpoint’s callbacks (POST /integrations/n8n/callbacks/{id}) run with; null (the default): it may make none.');
const CallbackTools = z
  .array(z.string().trim().min(1).max(100))
  .min(1)
  .max(100)
  .nullable()
  .describe('n8n only: the only tools its callbacks may run (create_ticket, …); null: every tool its role allows.');

export const EndpointView = z.object({
  id: Id,
  kind: z.enum(endpointKinds).describe('standard: Standard Webhooks deliveries; n8n: the same, for an n8n Webhook node.'),
  url: z.string(),
  description: z.string().nullable(),
  eventTypes: z.array(z.string()),
  enabled: z.boolean(),
  disabledReason: z.string().nullable().describe('Why the service turned it off, if it did.'),
  previousSecretValidUntil: Timestamp.nullable().describe('After a rotation: until when deliveries are also signed with the old secret.'),
  callbackRole: z.enum(callbackRoles).nullable(),
  callbackTools: z.array(z.string()).nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type EndpointView = z.infer<typeof EndpointView>;

/** The endpoint with its signing secret: answered once, when it is made or rotated, and never logged. */
export const EndpointWithSecret = EndpointView.extend({
  secret: ShownOnce.describe('The signing secret (whsec_…): shown only in this answer. Verify deliveries with it (Standard Webhooks).'),
});

export const CreateEndpointInput = z.strictObject({
  url: EndpointUrl,
  eventTypes: EventTypes,
  kind: z.enum(endpointKinds).default('standard'),
  description: z.string().trim().max(500).optional(),
  enabled: z.boolean().default(true),
  callbackRole: CallbackRole.default(null),
  callbackTools: CallbackTools.default(null),
});

export const EndpointIdInput = z.strictObject({ id: EndpointId });

export const UpdateEndpointInput = z.strictObject({
  id: EndpointId,
  url: EndpointUrl.optional(),
  eventTypes: EventTypes.optional(),
  description: z.string().trim().max(500).nullable().optional(),
  enabled: z.boolean().optional().describe('false stops deliveries; true turns it back on (and clears why the service turned it off).'),
  callbackRole: CallbackRole.optional(),
  callbackTools: CallbackTools.optional(),
});

export const ListEndpointsOutput = z.object({ items: z.array(EndpointView) });

export const AttemptView = z.object({
  id: Id,
  endpointId: Id,
  eventId: Id.describe('The event delivered (its `webhook-id`).'),
  attempt: z.number().int().describe('1 for the first try of this delivery, 2 for its first retry, …'),
  succeeded: z.boolean(),
  responseStatus: z.number().int().nullable().describe('The receiver’s HTTP status; null when none came (refused connection, timeout after 10 s).'),
  responseBody: z.string().nullable().describe('The first kilobyte of the receiver’s answer.'),
  error: z.string().nullable().describe('Why it failed.'),
  durationMs: z.number().int(),
  createdAt: Timestamp,
});
export type AttemptView = z.infer<typeof AttemptView>;

export const ListAttemptsInput = z.strictObject({
  id: EndpointId,
  eventId: Id.optional().describe('Only the attempts to deliver this event.'),
  succeeded: z.boolean().optional().describe('Only successful (true) or failed (false) attempts.'),
  ...pageInput,
});
export const ListAttemptsOutput = pageOutput(AttemptView);

export const RetryDeliveriesInput = z.strictObject({
  id: EndpointId,
  eventId: Id.optional().describe('Send this event again now (delivered or not). Without it: every event whose deliveries failed since `since`.'),
  since: InstantInput.optional().describe('Without eventId: events whose attempts since this instant all failed (default: the last 24 hours); at most 1,000.'),
});
export const RetryDeliveriesOutput = z.object({ eventIds: z.array(Id).describe('The events to be delivered again, oldest first.') });

export const TestEventOutput = z.object({ eventId: Id.describe('The webhook.test event: list the endpoint’s attempts with this eventId for the outcome.') });
