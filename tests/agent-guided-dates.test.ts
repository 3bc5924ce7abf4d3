import { describe, expect, it } from 'vitest';
import { API } from './support/clinic-fixture.js';
import { bookingHarness, numberedLines, openBookingClinic, openVerifiedBookingClinic } from './support/guided-booking.js';
import type { TestTenant } from './support/harness.js';

/** Guided mode books and moves appointments on the day and at the time asked (dates of birth: agent-guided-birth-dates.test.ts). */

const booking = bookingHarness();

type Appointment = { id: string; practitionerId: string; startAt: string; status: string };
const appointmentsOf = async (clinic: TestTenant, patientId: string) => (await clinic.call<{ items: Appointment[] }>('GET', `${API}/appointments?patientId=${patientId}`)).items;

const verifiedClinic = () => openVerifiedBookingClinic(booking.current());

describe('guided mode: booking on the day and at the time asked', () => {
  it('"Can I book with Dr Hart next Tuesday afternoon?": after the check, only those times; MORE stays within them', async () => {
    const { clinic, hartId, patient, chat } = await openBookingClinic(booking.current());
    const asked = await chat.send('Can I book with Dr Hart next Tuesday afternoon?');
    expect(asked.reply).toMatch(/^I will look for times on Tuesday 1 December afternoon once I know who you are\.\nFirst, to keep your information private: what is your date of birth\?/);
    const offered = await chat.send('1984-03-12');
    expect(offered.reply).toBe(
      [
        'Thank you, Maria, you are verified.',
        'Free times on Tuesday 1 December afternoon with Dr. Amelia Hart:',
        '1. Tuesday 1 December at 12:00 PM with Dr. Amelia Hart',
        '2. Tuesday 1 December at 12:30 PM with Dr. Amelia Hart',
        '3. Tuesday 1 December at 1:00 PM with Dr. Amelia Hart',
        '4. Tuesday 1 December at 1:30 PM with Dr. Amelia Hart',
        '5. Tuesday 1 December at 2:00 PM with Dr. Amelia Hart',
        'Reply with a number to book it, MORE for later times, or MENU.',
      ].join('\n'),
    );
    const later = await chat.send('more');
    expect(numberedLines(later.reply)).toEqual([
      '1. Tuesday 1 December at 2:30 PM with Dr. Amelia Hart',
      '2. Tuesday 1 December at 3:00 PM with Dr. Amelia Hart',
      '3. Tuesday 1 December at 3:30 PM with Dr. Amelia Hart',
      '4. Tuesday 1 December at 4:00 PM with Dr. Amelia Hart',
      '5. Tuesday 1 December at 4:30 PM with Dr. Amelia Hart',
    ]);
    expect((await chat.send('more')).reply).toBe(
      'There are no more free times on Tuesday 1 December afternoon with Dr. Amelia Hart. Reply with a number from the list, or 5 to talk to a person.',
    );
    expect((await chat.send('3')).reply).toContain('You are booked: Tuesday 1 December at 3:30 PM with Dr. Amelia Hart (Harbor Street).');
    expect(await appointmentsOf(clinic, patient.id)).toMatchObject([{ practitionerId: hartId, startAt: '2026-12-01T20:30:00.000Z' }]);
  });

  it('"tomorrow at 3" alone asks for an appointment then, with anyone', async () => {
    const { chat } = await verifiedClinic();
    const offered = await chat.send('tomorrow at 3');
    expect(offered.reply).toMatch(/^Free times on Thursday 26 November at 3:00 PM:\n/);
    expect(numberedLines(offered.reply).map((line) => line.slice(3)).sort()).toEqual([
      'Thursday 26 November at 3:00 PM with Dr. Amelia Hart',
      'Thursday 26 November at 3:00 PM with Dr. Ben Okafor',
      'Thursday 26 November at 3:30 PM with Dr. Amelia Hart',
    ]);
  });

  it('reads the 14th, in two weeks, after 5pm, Friday morning, between 2 and 4, Monday or Tuesday', async () => {
    const { chat } = await verifiedClinic();
    const cases: [string, string, RegExp][] = [
      ['book the 14th', 'Free times on Monday 14 December:', /^Monday 14 December at (8|9|10):\d\d AM/],
      ['book in two weeks', 'Free times from Wednesday 9 December on:', /^Wednesday 9 December at (8|9|10):\d\d AM/],
      ['I would like an appointment after 5pm', 'Free times after 5:00 PM:', /^\w+ \d+ \w+ at 5:00 PM with Dr\. Ben Okafor$/],
      ['book on Friday morning', 'Free times on Friday 27 November morning:', /^Friday 27 November at (8|9|10|11):\d\d AM/],
      ['book between 2 and 4', 'Free times between 2:00 PM and 4:00 PM:', /^Wednesday 25 November at [23]:\d\d PM/],
      ['book Monday or Tuesday', 'Free times on Monday 30 November or Tuesday 1 December:', /^(Monday 30 November|Tuesday 1 December) at /],
    ];
    for (const [request, heading, line] of cases) {
      const offered = await chat.send(request);
      expect(offered.reply.split('\n')[0], request).toBe(heading);
      const lines = numberedLines(offered.reply);
      expect(lines, request).toHaveLength(5);
      for (const offeredLine of lines) expect(offeredLine.slice(3), request).toMatch(line);
    }
  });

  it('understands Spanish days and times, and answers in Spanish', async () => {
    const { chat } = await verifiedClinic();
    const tuesday = await chat.send('¿tienen algo el martes por la tarde?');
    expect(tuesday.reply.split('\n')[0]).toBe('Horas libres el martes 1 de diciembre por la tarde:');
    expect(numberedLines(tuesday.reply)[0]).toBe('1. martes 1 de diciembre a las 12:00 p. m. con Dr. Amelia Hart');
    const tomorrow = await chat.send('mañana a las 3');
    expect(tomorrow.reply.split('\n')[0]).toBe('Horas libres el jueves 26 de noviembre a las 3:00 p. m.:');
  });

  it('"¿tienen algo el martes por la tarde con la doctora Hart?": the time kept through the check, booked within it, all in Spanish', async () => {
    const { clinic, hartId, patient, chat } = await openBookingClinic(booking.current());
    const asked = await chat.send('¿tienen algo el martes por la tarde con la doctora Hart?');
    expect(asked.reply).toMatch(/^Buscaré horas el martes 1 de diciembre por la tarde en cuanto sepa quién es usted\.\nPrimero, para proteger su información: ¿cuál es su fecha de nacimiento\?/);
    const offered = await chat.send('12 de marzo de 1984');
    expect(offered.reply.split('\n').slice(0, 3)).toEqual([
      'Gracias, Maria, ya está verificado.',
      'Horas libres el martes 1 de diciembre por la tarde con Dr. Amelia Hart:',
      '1. martes 1 de diciembre a las 12:00 p. m. con Dr. Amelia Hart',
    ]);
    expect(offered.reply).toContain('Responda con un número para reservarla, MÁS para horas más tarde, o MENÚ.');
    expect((await chat.send('más')).reply.split('\n')[0]).toBe('Horas libres el martes 1 de diciembre por la tarde con Dr. Amelia Hart:');
    expect((await chat.send('la segunda')).reply).toBe('Cita reservada: martes 1 de diciembre a las 3:00 p. m. con Dr. Amelia Hart (Harbor Street). Responda MENÚ si necesita algo más.');
    expect(await appointmentsOf(clinic, patient.id)).toMatchObject([{ practitionerId: hartId, startAt: '2026-12-01T20:00:00.000Z' }]);
  });
});

describe('guided mode: when nothing fits what was asked', () => {
  it('says so and offers the same practitioner’s nearest times at that part of the day, in the patient’s language', async () => {
    const { clinic, hartId, chat } = await verifiedClinic();
    await clinic.call('POST', `${API}/practitioners/${hartId}/time-off`, { startsAt: '2026-12-01T12:00', endsAt: '2026-12-01T17:00', reason: 'Training' });
    const offered = await chat.send('Can I book with Dr Hart next Tuesday afternoon?');
    expect(offered.reply).toBe(
      [
        'Dr. Amelia Hart has no free time on Tuesday 1 December afternoon.',
        'The nearest free times:',
        '1. Wednesday 2 December at 12:00 PM with Dr. Amelia Hart',
        '2. Wednesday 2 December at 12:30 PM with Dr. Amelia Hart',
        '3. Wednesday 2 December at 1:00 PM with Dr. Amelia Hart',
        '4. Wednesday 2 December at 1:30 PM with Dr. Amelia Hart',
        '5. Wednesday 2 December at 2:00 PM with Dr. Amelia Hart',
        'Reply with a number to book it, MORE for later times, or MENU.',
      ].join('\n'),
    );
    const spanish = await chat.send('quiero una cita con la doctora Hart el martes por la tarde');
    expect(spanish.reply.split('\n').slice(0, 3)).toEqual([
      'Dr. Amelia Hart no tiene horas libres el martes 1 de diciembre por la tarde.',
      'Las horas libres más cercanas:',
      '1. miércoles 2 de diciembre a las 12:00 p. m. con Dr. Amelia Hart',
    ]);
  });

  it('offers other practitioners at that time when the one named never works then', async () => {
    const { chat } = await verifiedClinic();
    const offered = await chat.send('book with Dr Okafor on Saturday at 10');
    expect(offered.reply).toBe(
      [
        'Dr. Ben Okafor has no free time on Saturday 28 November at 10:00 AM.',
        'Other practitioners are free then:',
        '1. Saturday 28 November at 10:00 AM with Dr. Amelia Hart',
        '2. Saturday 28 November at 10:30 AM with Dr. Amelia Hart',
        'Reply with a number to book it, MORE for later times, or MENU.',
      ].join('\n'),
    );
  });
});

describe('guided mode: another day or practitioner while times are offered', () => {
  it('"anything on Friday?" searches again on Friday; MORE stays on Friday; "what about Dr Okafor?" keeps Friday', async () => {
    const { chat } = await verifiedClinic();
    expect((await chat.send('book')).reply).toMatch(/^The next free times:\n1\. Wednesday 25 November at 8:00 AM with Dr\. Ben Okafor\n/);
    const friday = await chat.send('anything on Friday?');
    expect(friday.reply.split('\n').slice(0, 3)).toEqual(['Free times on Friday 27 November:', '1. Friday 27 November at 8:00 AM with Dr. Ben Okafor', '2. Friday 27 November at 9:00 AM with Dr. Amelia Hart']);
    const later = await chat.send('more');
    const laterLines = numberedLines(later.reply);
    expect(laterLines.slice(0, 4)).toEqual([
      '1. Friday 27 November at 11:00 AM with Dr. Amelia Hart',
      '2. Friday 27 November at 11:30 AM with Dr. Amelia Hart',
      '3. Friday 27 November at 12:00 PM with Dr. Amelia Hart',
      '4. Friday 27 November at 12:30 PM with Dr. Amelia Hart',
    ]);
    expect(laterLines.every((line) => line.includes('Friday 27 November'))).toBe(true);
    const okafor = await chat.send('what about Dr Okafor?');
    expect(okafor.reply).toBe(
      [
        'Free times on Friday 27 November with Dr. Ben Okafor:',
        '1. Friday 27 November at 8:00 AM with Dr. Ben Okafor',
        '2. Friday 27 November at 1:00 PM with Dr. Ben Okafor',
        '3. Friday 27 November at 2:00 PM with Dr. Ben Okafor',
        '4. Friday 27 November at 3:00 PM with Dr. Ben Okafor',
        '5. Friday 27 November at 4:00 PM with Dr. Ben Okafor',
        'Reply with a number to book it, MORE for later times, or MENU.',
      ].join('\n'),
    );
    // Text that asks for neither still gets the question again.
    expect((await chat.send('hmm')).reply).toBe('Please reply with a number from 1 to 5, or MENU.');
  });

  it('moves an appointment to the day and time of day asked', async () => {
    const { clinic, hartId, patient, chat } = await verifiedClinic();
    const appointment = await clinic.call<Appointment>('POST', `${API}/appointments`, { patientId: patient.id, practitionerId: hartId, startAt: '2026-12-03T11:00' });
    const offered = await chat.send('can I move my appointment to Friday afternoon?');
    expect(offered.reply.split('\n').slice(0, 2)).toEqual([
      'Your appointment is on Thursday 3 December at 11:00 AM with Dr. Amelia Hart. Free times on Friday 27 November afternoon to move it to:',
      '1. Friday 27 November at 12:00 PM with Dr. Amelia Hart',
    ]);
    expect((await chat.send('4')).reply).toBe('Done: your appointment is now on Friday 27 November at 1:30 PM with Dr. Amelia Hart (Harbor Street). Reply C to confirm it.');
    expect(await appointmentsOf(clinic, patient.id)).toMatchObject([{ id: appointment.id, startAt: '2026-11-27T18:30:00.000Z' }]);
  });
});

describe('guided mode: a time asked for before the identity check', () => {
  it('takes an appointment time sent instead of the date of birth as the request, and asks again', async () => {
    const { chat } = await openBookingClinic(booking.current());
    await chat.send('book');
    const noted = await chat.send('tomorrow at 3');
    expect(noted.reply).toMatch(/^I will look for times on Thursday 26 November at 3:00 PM once I know who you are\.\nFirst, to keep your information private: what is your date of birth\?/);
    expect(noted.state).toMatchObject({ step: { kind: 'ask_date_of_birth', task: { name: 'book', when: { dates: [{ from: '2026-11-26' }] } } } });
    expect((await chat.send('1984-03-12')).reply).toMatch(/^Thank you, Maria, you are verified\.\nFree times on Thursday 26 November at 3:00 PM:/);
  });
});
