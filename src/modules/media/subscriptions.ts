import type { EventSubscription } from '../../jobs/subscriptions.js';

/** Fetches the files of an inbound WhatsApp or MMS message from Twilio and stores them as media. */
export const FETCH_INBOUND_MEDIA_JOB = 'media.fetch_inbound';

/** (Declarations only, with no imports to run, so the event outbox can load them first.) */
export const mediaSubscriptions: readonly EventSubscription[] = [
  {
    kind: FETCH_INBOUND_MEDIA_JOB,
    events: ['communication.created'],
    when: (event) => event.payload.direction === 'inbound' && typeof event.payload.mediaCount === 'number' && event.payload.mediaCount > 0,
  },
];
