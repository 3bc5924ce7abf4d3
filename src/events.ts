import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from './ids.js';
import { tenantFilter } from './db/base.js';
import type { AppContext } from './context.js';
import { enqueueJob } from './jobs/enqueue.js';
import { subscriptionsFor } from './jobs/subscriptions.js';

/**
 * The outbox: a domain event is written in the same transaction as the change it describes, so it
 * exists exactly when the change does. Journeys, notifications and outbound webhooks read it.
 */
export const DomainEvent = defineEntity({
  name: 'DomainEvent',
  tableName: 'domain_event',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    tenantId: p.uuid(),
    type: p.string(),
    entityType: p.string(),
    entityId: p.uuid(),
    payload: p.json<Record<string, unknown>>(),
    occurredAt: p.datetime(),
    /** Set by the consumer that handled it; null while pending. */
    processedAt: p.datetime().nullable(),
  },
});
export type DomainEvent = InferEntity<typeof DomainEvent>;

/**
 * Records `type` (for example `appointment.booked`) for the entity in the caller's unit of work, and
 * enqueues a job for each subscriber of that type in the same unit of work.
 */
export function recordEvent(
  ctx: AppContext,
  event: { type: string; entityType: string; entityId: string; payload?: Record<string, unknown> },
): void {
  const id = newId();
  const subscribed = { ...event, payload: event.payload ?? {} };
  for (const subscription of subscriptionsFor(subscribed)) {
    enqueueJob(ctx.em, {
      tenantId: ctx.tenant.id,
      kind: subscription.kind,
      payload: { eventId: id, type: event.type, entityType: event.entityType, entityId: event.entityId, payload: subscribed.payload },
      serialKey: subscription.serialKey?.(subscribed),
    });
  }
  ctx.em.create(DomainEvent, {
    id,
    tenantId: ctx.tenant.id,
    type: event.type,
    entityType: event.entityType,
    entityId: event.entityId,
    payload: event.payload ?? {},
    occurredAt: ctx.clock.now(),
    processedAt: null,
  });
}
