import { intakeSubscriptions } from '../modules/intake/subscriptions.js';
import { journeySubscriptions } from '../modules/journeys/subscriptions.js';
import { mediaSubscriptions } from '../modules/media/subscriptions.js';
import { reminderSubscriptions } from '../modules/reminders/subscriptions.js';
import { vectorSubscriptions } from '../modules/vector/subscriptions.js';

/**
 * Which jobs a domain event starts. `recordEvent` enqueues one job per matching subscription in the
 * same transaction as the event, so a consumer never misses a change and never sees one that rolled
 * back. Declarations only: the handlers are in src/jobs/handlers.ts.
 */
export type EventSubscription = {
  /** The job kind it enqueues. */
  kind: string;
  /** Event types it wants: exact (`ticket.created`) or a prefix ending in `.*` (`ticket.*`). */
  events: readonly string[];
  /** Events with the same key are handled in order, one at a time. */
  serialKey?: (event: SubscribedEvent) => string;
  /** Only the events it holds for get a job (a cheap test of the payload: no job is cheaper than a no-op job). */
  when?: (event: SubscribedEvent) => boolean;
};

export type SubscribedEvent = { type: string; entityType: string; entityId: string; payload: Record<string, unknown> };

export const eventSubscriptions: readonly EventSubscription[] = [...vectorSubscriptions, ...reminderSubscriptions, ...mediaSubscriptions, ...intakeSubscriptions, ...journeySubscriptions];

export function subscriptionsFor(event: SubscribedEvent): EventSubscription[] {
  return eventSubscriptions.filter(
    (subscription) =>
      subscription.events.some((pattern) => (pattern.endsWith('.*') ? event.type.startsWith(pattern.slice(0, -1)) : pattern === event.type)) &&
      (subscription.when?.(event) ?? true),
  );
}
