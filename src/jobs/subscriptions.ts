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
  serialKey?: (event: { type: string; entityType: string; entityId: string }) => string;
};

export const eventSubscriptions: readonly EventSubscription[] = [...vectorSubscriptions];

export function subscriptionsFor(type: string): EventSubscription[] {
  return eventSubscriptions.filter((subscription) =>
    subscription.events.some((pattern) => (pattern.endsWith('.*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type)),
  );
}
