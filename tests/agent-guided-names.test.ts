import { describe, expect, it } from 'vitest';
import { API } from './support/clinic-fixture.js';
import { bookingHarness, numberedLines, openBookingClinic, openVerifiedBookingClinic } from './support/guided-booking.js';

/** Guided mode finds the practitioner, specialty or place the patient names: with titles or without, misspelt, shortened. */

const booking = bookingHarness();

const verifiedClinic = () => openVerifiedBookingClinic(booking.current());

const practitionersOffered = (reply: string) => [...new Set(numberedLines(reply).map((line) => line.replace(/^.* with /, '')))];

describe('guided mode: practitioners, specialties and places by name', () => {
  it('finds a practitioner by title, first name or a typo, and a specialty misspelt', async () => {
    const { chat } = await verifiedClinic();
    // Without a name, Dr. Okafor's 8:00 comes first.
    expect(practitionersOffered((await chat.send('book')).reply)).toEqual(['Dr. Ben Okafor', 'Dr. Amelia Hart']);
    for (const request of ['book with dr hart', 'Can I see Dr. Amelia?', 'book with dr hrat']) {
      expect(practitionersOffered((await chat.send(request)).reply), request).toEqual(['Dr. Amelia Hart']);
    }
    for (const request of ['I need a dermatolgy appointment', 'book with Dr Okafer']) {
      expect(practitionersOffered((await chat.send(request)).reply), request).toEqual(['Dr. Ben Okafor']);
    }
  });

  it('finds a place written short and with another spelling', async () => {
    const { chat } = await verifiedClinic();
    const offered = await chat.send('book at harbour st');
    expect(numberedLines(offered.reply)[0]).toBe('1. Wednesday 25 November at 9:00 AM with Dr. Amelia Hart');
    expect((await chat.send('1')).reply).toContain('You are booked: Wednesday 25 November at 9:00 AM with Dr. Amelia Hart (Harbor Street).');
  });

  it('asks which one when two practitioners share the name, after the identity check', async () => {
    const { clinic, bayId, chat } = await openBookingClinic(booking.current());
    const john = await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: 'Dr. John Hart', specialty: 'Cardiology' });
    const rules = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startTime: '10:00', endTime: '12:00', slotMinutes: 60, locationId: bayId }));
    await clinic.call('PUT', `${API}/practitioners/${john.id}/schedule`, { rules });

    await chat.send('book with Dr Hart');
    const which = await chat.send('1984-03-12');
    expect(which.reply).toBe(
      'Thank you, Maria, you are verified.\nWhich one do you mean?\n1. Dr. Amelia Hart (family medicine)\n2. Dr. John Hart (Cardiology)\nReply with its number.',
    );
    expect((await chat.send('3')).reply).toBe('Please reply with a number from 1 to 2, or MENU.');
    const offered = await chat.send('2');
    expect(practitionersOffered(offered.reply)).toEqual(['Dr. John Hart']);
    expect(numberedLines(offered.reply)[0]).toBe('1. Wednesday 25 November at 10:00 AM with Dr. John Hart');
    // The full name leaves no doubt.
    expect(practitionersOffered((await chat.send('book with Dr Amelia Hart')).reply)).toEqual(['Dr. Amelia Hart']);
  });

  it('reads a name and a time together, without the word book', async () => {
    const { chat } = await verifiedClinic();
    const offered = await chat.send('Is Dr Okafor free tomorrow afternoon?');
    expect(offered.reply).toBe(
      [
        'Free times on Thursday 26 November afternoon with Dr. Ben Okafor:',
        '1. Thursday 26 November at 1:00 PM with Dr. Ben Okafor',
        '2. Thursday 26 November at 2:00 PM with Dr. Ben Okafor',
        '3. Thursday 26 November at 3:00 PM with Dr. Ben Okafor',
        '4. Thursday 26 November at 4:00 PM with Dr. Ben Okafor',
        'Reply with a number to book it, MORE for later times, or MENU.',
      ].join('\n'),
    );
  });
});
