import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { API, openClinic, openConversation } from './clinic-fixture.js';
import { guidedChat } from './conversation-fixtures.js';
import { createHarness, type Harness } from './harness.js';

/** Wednesday 2026-11-25, 07:00 in New York: the clock of the booking tests. */
export const BOOKING_START = new Date('2026-11-25T12:00:00Z');

/** The test file's harness, its clock pinned at BOOKING_START and set back after each test. */
export function bookingHarness(): { current(): Harness } {
  const clock = fixedClock(BOOKING_START);
  let harness: Harness | undefined;
  beforeAll(async () => {
    harness = await createHarness({ clock });
  });
  afterEach(() => clock.set(BOOKING_START));
  afterAll(() => harness?.close());
  return {
    current() {
      if (!harness) throw new Error('The harness is made before the tests run');
      return harness;
    },
  };
}

/**
 * A clinic for booking by day, time and name in guided mode (clock: Wednesday 25 November 2026, 07:00
 * in New York): Dr. Amelia Hart (family medicine) every day 09:00-17:00 in 30-minute slots at Harbor
 * Street; Dr. Ben Okafor (dermatology) Monday to Friday 08:00-09:00 and 13:00-18:00 in one-hour slots
 * at Bay Road; Maria Gonzalez, born 1984-03-12, writing on WhatsApp (not yet verified).
 */
export async function openBookingClinic(harness: Harness, options: { timeZone?: string } = {}) {
  const clinic = await harness.newTenant({ timeZone: options.timeZone ?? 'America/New_York', name: 'Harbor Clinic' });
  const { practitionerId: hartId, locationId: harborId, patient } = await openClinic(harness, clinic, { twilio: false });
  const bay = await clinic.call<{ id: string }>('POST', `${API}/locations`, { name: 'Bay Road' });
  const okafor = await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: 'Dr. Ben Okafor', specialty: 'Dermatology' });
  const weekdays = [1, 2, 3, 4, 5];
  const rules = weekdays.flatMap((weekday) => [
    { weekday, startTime: '08:00', endTime: '09:00', slotMinutes: 60, locationId: bay.id },
    { weekday, startTime: '13:00', endTime: '18:00', slotMinutes: 60, locationId: bay.id },
  ]);
  await clinic.call('PUT', `${API}/practitioners/${okafor.id}/schedule`, { rules });
  const conversationId = await openConversation(harness, clinic, patient.phone);
  const chat = guidedChat(harness, clinic, { conversationId });
  return { clinic, hartId, okaforId: okafor.id, harborId, bayId: bay.id, patient, conversationId, chat };
}

/** The booking clinic with Maria verified: her date of birth sent before anything was asked. */
export async function openVerifiedBookingClinic(harness: Harness) {
  const opened = await openBookingClinic(harness);
  const verified = await opened.chat.send('12 March 1984');
  expect(verified.reply).toMatch(/^Thank you, Maria, you are verified\.\nHow can I help\?/);
  return opened;
}

/** The numbered lines of a reply ("1. Tuesday 1 December at 12:00 PM with Dr. Amelia Hart"). */
export const numberedLines = (text: string) => text.split('\n').filter((line) => /^\d+\. /.test(line));
