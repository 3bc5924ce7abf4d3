import { describe, expect, it } from 'vitest';
import { subscriptionsFor } from '../src/jobs/subscriptions.js';
import { APPLY_JOB } from '../src/modules/journeys/subscriptions.js';

const message = (payload: Record<string, unknown>) => ({ type: 'communication.created', entityType: 'communication', entityId: 'm1', payload });
const applies = (event: ReturnType<typeof message>) => subscriptionsFor(event).some((subscription) => subscription.kind === APPLY_JOB);

describe('which messages journeys hear of', () => {
  it('a known patient’s reply is applied to the journeys', () => {
    expect(applies(message({ direction: 'inbound', patientId: 'p1', conversationId: 'c1' }))).toBe(true);
  });

  it('a reply from a number in a patient’s record, not yet linked to the conversation, is applied too', () => {
    expect(applies(message({ direction: 'inbound', patientId: null, contactKnown: true, conversationId: 'c1' }))).toBe(true);
  });

  it('a message from a number in no patient’s record, or one the clinic sends, adds no job', () => {
    expect(applies(message({ direction: 'inbound', patientId: null, contactKnown: false, conversationId: 'c1' }))).toBe(false);
    expect(applies(message({ direction: 'outbound', patientId: 'p1', conversationId: 'c1' }))).toBe(false);
  });

  it('appointment events are applied', () => {
    expect(subscriptionsFor({ type: 'appointment.booked', entityType: 'appointment', entityId: 'a1', payload: { patientId: 'p1' } }).some((subscription) => subscription.kind === APPLY_JOB)).toBe(true);
  });
});
