import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from './ids.js';
import { tenantFilter } from './db/base.js';
import type { AppContext } from './context.js';
import { jobRow } from './jobs/enqueue.js';
import { Job } from './jobs/job.js';
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

export type NewEvent = { type: string; entityType: string; entityId: string; payload?: Record<string, unknown> };

/**
 * Records `type` (for example `appointment.booked`) for the entity in the caller's unit of work, and
 * enqueues a job for each subscriber of that type in the same unit of work.
 */
export function recordEvent(ctx: AppContext, event: NewEvent): DomainEvent {
  const rows = eventRows(ctx.tenant.id, event, ctx.clock.now());
  for (const job of rows.jobs) ctx.em.create(Job, job);
  return ctx.em.create(DomainEvent, rows.event);
}

/**
 * The rows `recordEvent` writes: the event (occurred at `now`, the service's clock), and a job per
 * subscriber that wants it (due at once, in real time: jobs run by the database's clock).
 */
export function eventRows(tenantId: string, event: NewEvent, now: Date): { event: DomainEvent; jobs: Job[] } {
  const id = newId();
  const subscribed = { ...event, payload: event.payload ?? {} };
  const jobs = subscriptionsFor(subscribed).map((subscription) =>
    jobRow(
      {
        tenantId,
        kind: subscription.kind,
        payload: { eventId: id, type: event.type, entityType: event.entityType, entityId: event.entityId, payload: subscribed.payload },
        serialKey: subscription.serialKey?.(subscribed),
      },
      new Date(),
    ),
  );
  const row = { id, tenantId, type: event.type, entityType: event.entityType, entityId: event.entityId, payload: subscribed.payload, occurredAt: now, processedAt: null };
  return { event: row, jobs };
}
