import type { CommunicationStatus } from './entities.js';

/**
 * The order a communication's status moves in: only to a higher rank, never out of a final status.
 * `unknown` (interrupted mid-send) stands with `sending`, so a provider's report still moves it on.
 * `failed` and `undelivered` stand with `delivered`: a message is one or the other, never both in turn.
 */
export const STATUS_RANK: Readonly<Record<CommunicationStatus, number>> = {
  received: 0,
  queued: 1,
  sending: 2,
  unknown: 2,
  sent: 3,
  delivered: 4,
  failed: 4,
  undelivered: 4,
  read: 5,
  not_sent: 6,
};

/** Statuses nothing moves out of. */
export const FINAL_STATUSES: readonly CommunicationStatus[] = ['read', 'failed', 'undelivered', 'not_sent'];
