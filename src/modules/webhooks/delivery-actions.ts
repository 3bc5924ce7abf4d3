import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { after, decodeCursor, page } from '../../db/pagination.js';
import { conflict, notFound } from '../../errors.js';
import { DomainEvent, recordEvent } from '../../events.js';
import { enqueueJob } from '../../jobs/enqueue.js';
import { DELIVER_WEBHOOK_JOB } from './delivery.js';
import { requireEndpoint } from './endpoints.js';
import { WebhookAttempt } from './entities.js';
import type { AttemptView, ListAttemptsInput, RetryDeliveriesInput } from './schema.js';

/** Deliveries an endpoint may have retried at once without naming an event. */
const MAX_RETRIED = 1_000;
const DEFAULT_RETRY_WINDOW_MS = 86_400_000;

const attemptView = (attempt: WebhookAttempt): AttemptView => ({
  id: attempt.id,
  endpointId: attempt.endpointId,
  eventId: attempt.eventId,
  attempt: attempt.attempt,
  succeeded: attempt.succeeded,
  responseStatus: attempt.responseStatus ?? null,
  responseBody: attempt.responseBody ?? null,
  error: attempt.error ?? null,
  durationMs: Math.round(attempt.durationMs),
  createdAt: attempt.createdAt.toISOString(),
});

/** An endpoint's attempts, newest first. */
export async function listAttempts(ctx: AppContext, input: z.output<typeof ListAttemptsInput>) {
  const position = decodeCursor(input.cursor);
  await requireEndpoint(ctx, input.id);
  const rows = await ctx.em.find(
    WebhookAttempt,
    {
      endpointId: input.id,
      ...(input.eventId ? { eventId: input.eventId } : {}),
      ...(input.succeeded !== undefined ? { succeeded: input.succeeded } : {}),
      ...after('createdAt', position),
    },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  return page(rows, input.limit, (row) => ({ at: row.createdAt, id: row.id }), attemptView);
}

const serialKey = (endpointId: string, event: DomainEvent) => `webhook:${endpointId}:${event.entityId}`;

/**
 * Sends the event to the endpoint again now: a delivery waiting for its next try is brought forward, a
 * running one is left to finish, and one that ended (delivered or given up) gets a new job, in its
 * entity's order behind any still waiting.
 */
async function retryNow(ctx: AppContext, endpointId: string, event: DomainEvent): Promise<void> {
  const key = serialKey(endpointId, event);
  const [waiting] = await ctx.em.execute<{ id: string; status: string }[]>(
    `select id, status from job where tenant_id = ? and serial_key = ? and status in ('pending', 'running') and payload->>'eventId' = ? limit 1`,
    [ctx.tenant.id, key, event.id],
  );
  if (waiting?.status === 'running') return;
  if (waiting) {
    await ctx.em.execute(`update job set run_at = now() where tenant_id = ? and id = ? and status = 'pending'`, [ctx.tenant.id, waiting.id]);
    return;
  }
  enqueueJob(ctx.em, { tenantId: ctx.tenant.id, kind: DELIVER_WEBHOOK_JOB, payload: { endpointId, eventId: event.id }, serialKey: key, maxAttempts: 8 });
}

/** Events whose every attempt to this endpoint since `since` failed, oldest first. */
async function failedEvents(ctx: AppContext, endpointId: string, since: Date): Promise<string[]> {
  const rows = await ctx.em.execute<{ event_id: string }[]>(
    `select event_id from webhook_attempt where tenant_id = ? and endpoint_id = ? and created_at >= ?
      group by event_id having not bool_or(succeeded) order by min(created_at) limit ?`,
    [ctx.tenant.id, endpointId, since, MAX_RETRIED],
  );
  return rows.map((row) => row.event_id);
}

/**
 * "Retry now": one event (delivered or not), or every event whose deliveries to the endpoint failed
 * since `since` (default: the last 24 hours), up to 1,000.
 */
export async function retryDeliveries(ctx: AppContext, input: z.output<typeof RetryDeliveriesInput>) {
  const endpoint = await requireEndpoint(ctx, input.id);
  if (!endpoint.enabled) throw conflict('The endpoint is turned off: turn it on first (enabled: true), or send it a test event.', { reason: endpoint.disabledReason ?? null });
  const since = input.since ? new Date(input.since) : new Date(ctx.clock.now().getTime() - DEFAULT_RETRY_WINDOW_MS);
  const eventIds = input.eventId ? [input.eventId] : await failedEvents(ctx, endpoint.id, since);
  const events = eventIds.length === 0 ? [] : await ctx.em.find(DomainEvent, { id: { $in: eventIds } }, { orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }] });
  if (input.eventId && events.length === 0) throw notFound('Event', input.eventId);
  for (const event of events) await retryNow(ctx, endpoint.id, event);
  return { eventIds: events.map((event) => event.id) };
}

/**
 * A `webhook.test` event, sent to this endpoint only (a turned-off one too), once: its attempt shows
 * whether the receiver takes and verifies deliveries.
 */
export async function sendTestEvent(ctx: AppContext, id: string) {
  const endpoint = await requireEndpoint(ctx, id);
  const event = recordEvent(ctx, { type: 'webhook.test', entityType: 'webhook_endpoint', entityId: endpoint.id, payload: {} });
  enqueueJob(ctx.em, {
    tenantId: ctx.tenant.id,
    kind: DELIVER_WEBHOOK_JOB,
    payload: { endpointId: endpoint.id, eventId: event.id, test: true },
    serialKey: `webhook:${endpoint.id}:${endpoint.id}`,
    maxAttempts: 1,
  });
  return { eventId: event.id };
}
