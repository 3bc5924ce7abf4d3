import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { dateOrder } from '../src/agent/guided/date-order.js';
import { readDateOfBirth } from '../src/agent/guided/dates.js';
import { searchWindows } from '../src/agent/guided/flows/slot-windows.js';
import { editDistance, recognizeNames } from '../src/agent/guided/names.js';
import { namedIn } from '../src/agent/guided/request.js';
import { readWhen, withoutSpans } from '../src/agent/guided/when.js';

/** The pure readers of guided mode: when (chrono-node), names (edit distance), dates of birth (conventions). */

// Wednesday 25 November 2026, 07:00 in New York.
const now = new Date('2026-11-25T12:00:00Z');
const zone = 'America/New_York';
const when = (text: string, dayFirst = false) => readWhen(text, { timeZone: zone, now, dayFirst })?.when;
const day = (date: string) => ({ from: date, to: date });

describe('reading when the patient wants to come', () => {
  it('reads days, parts of the day and clock times in the clinic’s time zone', () => {
    expect(when('Can I book with Dr Hart next Tuesday afternoon?')).toEqual({ dates: [day('2026-12-01')], time: { from: '12:00', to: '17:00', kind: 'afternoon' } });
    expect(when('tomorrow at 3')).toEqual({ dates: [day('2026-11-26')], time: { from: '15:00', to: '16:00', kind: 'at' } });
    expect(when('the 14th')).toEqual({ dates: [day('2026-12-14')] });
    expect(when('on the 25th')).toEqual({ dates: [day('2026-11-25')] });
    expect(when('in two weeks')).toEqual({ dates: [], startDate: '2026-12-09' });
    expect(when('after 5pm')).toEqual({ dates: [], time: { from: '17:00', to: '24:00', kind: 'after' } });
    expect(when('I can only come after 5')).toEqual({ dates: [], time: { from: '17:00', to: '24:00', kind: 'after' } });
    expect(when('before 10am please')).toEqual({ dates: [], time: { from: '00:00', to: '10:00', kind: 'before' } });
    expect(when('on Friday morning')).toEqual({ dates: [day('2026-11-27')], time: { from: '00:00', to: '12:00', kind: 'morning' } });
    expect(when('this evening')).toEqual({ dates: [day('2026-11-25')], time: { from: '17:00', to: '24:00', kind: 'evening' } });
    expect(when('Thursday 3pm')).toEqual({ dates: [day('2026-11-26')], time: { from: '15:00', to: '16:00', kind: 'at' } });
    expect(when('Dec 14 at 10:30am')).toEqual({ dates: [day('2026-12-14')], time: { from: '10:30', to: '11:30', kind: 'at' } });
  });

  it('reads ranges: between two times, one day or another, a week', () => {
    expect(when('between 2 and 4')).toEqual({ dates: [], time: { from: '14:00', to: '16:00', kind: 'between' } });
    expect(when('from 9 to 11am')).toEqual({ dates: [], time: { from: '09:00', to: '11:00', kind: 'between' } });
    expect(when('between 11 and 1 on Monday')).toEqual({ dates: [day('2026-11-30')], time: { from: '11:00', to: '13:00', kind: 'between' } });
    expect(when('Monday or Tuesday')).toEqual({ dates: [day('2026-11-30'), day('2026-12-01')] });
    expect(when('Monday to Wednesday')).toEqual({ dates: [{ from: '2026-11-30', to: '2026-12-02' }] });
    expect(when('next week')).toEqual({ dates: [{ from: '2026-11-30', to: '2026-12-06' }] });
  });

  it('reads Spanish too', () => {
    expect(when('el martes por la tarde')).toEqual({ dates: [day('2026-12-01')], time: { from: '12:00', to: '17:00', kind: 'afternoon' } });
    expect(when('mañana a las 3')).toEqual({ dates: [day('2026-11-26')], time: { from: '15:00', to: '16:00', kind: 'at' } });
    expect(when('el lunes por la mañana')).toEqual({ dates: [day('2026-11-30')], time: { from: '00:00', to: '12:00', kind: 'morning' } });
    expect(when('entre las 2 y las 4')).toEqual({ dates: [], time: { from: '14:00', to: '16:00', kind: 'between' } });
  });

  it('reads numeric dates in the clinic’s order', () => {
    expect(when('on 12/14')).toEqual({ dates: [day('2026-12-14')] });
    expect(when('on 14/12', true)).toEqual({ dates: [day('2026-12-14')] });
  });

  it('reads no appointment time in dates of birth, the past, durations and everyday words', () => {
    for (const text of ['12 March 1984', '03/12/1984', 'my DOB is 1984-03-12', 'last Tuesday', '2 weeks ago', 'yesterday', 'I have a 2 year old', 'I take it twice a day', 'sat down', 'now', '1', 'yes', 'penicillin - rash, latex', 'after 2 weeks']) {
      expect(when(text), text).toBeUndefined();
    }
  });

  it('leaves the rest of the text for the names in it', () => {
    const text = 'Can I book with Dr Hart next Tuesday afternoon?';
    const reading = readWhen(text, { timeZone: zone, now, dayFirst: false });
    expect(withoutSpans(text, reading?.spans ?? []).replace(/\s+/g, ' ')).toBe('Can I book with Dr Hart ?');
    expect(namedIn(text, reading)).toBe('with dr hart');
    expect(namedIn('anything on Friday?', readWhen('anything on Friday?', { timeZone: zone, now, dayFirst: false }))).toBeUndefined();
    expect(namedIn('book an appointment, my DOB is 12 March 1984', undefined)).toBeUndefined();
  });

  it('names nobody in Spanish greetings and request words, and keeps the doctor named', () => {
    const read = (text: string) => namedIn(text, readWhen(text, { timeZone: zone, now, dayFirst: false }));
    expect(read('Hola, quiero pedir una cita')).toBeUndefined();
    expect(read('buenas tardes, ¿tienen horas libres el martes?')).toBeUndefined();
    expect(read('mi fecha de nacimiento es 12 de marzo de 1984, quiero una cita')).toBeUndefined();
    expect(read('¿tienen algo el martes por la tarde con la doctora Hart?')).toBe('con doctora hart');
  });
});

describe('the times a search covers', () => {
  const windows = (text: string, from = now) =>
    searchWindows(when(text), { timeZone: zone, from, days: 14 }).map((window) => [window.from.toISOString(), window.to.toISOString()]);

  it('is the part of each day asked, never before now', () => {
    expect(windows('next Tuesday afternoon')).toEqual([['2026-12-01T17:00:00.000Z', '2026-12-01T22:00:00.000Z']]);
    expect(windows('Monday or Tuesday')).toEqual([
      ['2026-11-30T05:00:00.000Z', '2026-12-01T05:00:00.000Z'],
      ['2026-12-01T05:00:00.000Z', '2026-12-02T05:00:00.000Z'],
    ]);
    const evenings = windows('after 5pm');
    expect(evenings).toHaveLength(14);
    expect(evenings[0]).toEqual(['2026-11-25T22:00:00.000Z', '2026-11-26T05:00:00.000Z']);
    // This morning has begun: it is searched from now.
    expect(windows('this morning')).toEqual([['2026-11-25T12:00:00.000Z', '2026-11-25T17:00:00.000Z']]);
    expect(windows('in two weeks')).toEqual([['2026-12-09T05:00:00.000Z', '2026-12-23T05:00:00.000Z']]);
    expect(searchWindows(undefined, { timeZone: zone, from: now, days: 14 })).toEqual([{ from: now, to: new Date('2026-12-09T12:00:00.000Z') }]);
  });
});

describe('recognizing practitioners, specialties and places', () => {
  const practitioners = [
    { id: 'hart', name: 'Dr. Amelia Hart', specialty: 'Family medicine' },
    { id: 'okafor', name: 'Dr. Ben Okafor', specialty: 'Dermatology' },
    { id: 'will', name: 'Dr. Will Turner', specialty: null },
  ];
  const locations = [
    { id: 'harbor', name: 'Harbor Street' },
    { id: 'bay', name: 'Bay Road' },
  ];
  const names = (text: string, extra: typeof practitioners = []) => {
    const found = recognizeNames(text, { practitioners: [...practitioners, ...extra], locations });
    return { practitioners: found.practitioners.map((practitioner) => practitioner.id), ambiguous: found.ambiguous, specialty: found.specialty?.name, location: found.location?.id };
  };

  it('counts a swap of two letters as one typo', () => {
    expect(editDistance('hart', 'hrat')).toBe(1);
    expect(editDistance('dermatolgy', 'dermatology')).toBe(1);
    expect(editDistance('harbour', 'harbor')).toBe(1);
    expect(editDistance('okafor', 'smith')).toBeGreaterThan(2);
  });

  it('finds names with titles, without, misspelt, and places shortened', () => {
    expect(names('dr hart')).toMatchObject({ practitioners: ['hart'], ambiguous: false });
    expect(names('Dr. Amelia')).toMatchObject({ practitioners: ['hart'] });
    expect(names('dr hrat')).toMatchObject({ practitioners: ['hart'] });
    expect(names('okafer')).toMatchObject({ practitioners: ['okafor'] });
    expect(names('dermatolgy')).toMatchObject({ practitioners: [], specialty: 'Dermatology' });
    expect(names('a dermatologist')).toMatchObject({ specialty: 'Dermatology' });
    expect(names('harbour st')).toMatchObject({ practitioners: [], location: 'harbor' });
    expect(names('with dr okafor at bay rd')).toMatchObject({ practitioners: ['okafor'], location: 'bay' });
    expect(names('hart or okafor')).toMatchObject({ practitioners: ['hart', 'okafor'], ambiguous: false });
  });

  it('does not take everyday words for names, unless a title says so', () => {
    expect(names('I will come')).toMatchObject({ practitioners: [] });
    expect(names('dr will')).toMatchObject({ practitioners: ['will'] });
    expect(names('my heart')).toMatchObject({ practitioners: [] });
    expect(names('nobody')).toEqual({ practitioners: [], ambiguous: false, specialty: undefined, location: undefined });
  });

  it('tells an ambiguous name from a full one', () => {
    const john = [{ id: 'john', name: 'Dr. John Hart', specialty: 'Cardiology' }];
    expect(names('dr hart', john)).toMatchObject({ practitioners: ['hart', 'john'], ambiguous: true });
    expect(names('Dr Amelia Hart', john)).toMatchObject({ practitioners: ['hart'], ambiguous: false });
    expect(names('john', john)).toMatchObject({ practitioners: ['john'], ambiguous: false });
  });
});

describe('reading dates of birth by the clinic’s convention', () => {
  const today = DateTime.fromISO('2026-11-25', { zone });

  it('knows the order from the country', () => {
    expect(dateOrder('US')).toBe('month_first');
    expect(dateOrder('GB')).toBe('day_first');
    expect(dateOrder('MX')).toBe('day_first');
    expect(dateOrder('CA')).toBe('undecided');
    expect(dateOrder(null)).toBe('undecided');
  });

  it('reads 03/12/1984 month first in the United States, day first elsewhere, and asks where it cannot tell', () => {
    expect(readDateOfBirth('03/12/1984', { today, order: 'month_first' })).toEqual({ kind: 'date', date: '1984-03-12' });
    expect(readDateOfBirth('03/12/1984', { today, order: 'day_first' })).toEqual({ kind: 'date', date: '1984-12-03' });
    expect(readDateOfBirth('03/12/1984', { today, order: 'undecided' })).toEqual({ kind: 'ambiguous', dates: ['1984-12-03', '1984-03-12'] });
    // Only one reading is a date: it is the one meant, whatever the convention.
    expect(readDateOfBirth('13/03/1984', { today, order: 'month_first' })).toEqual({ kind: 'date', date: '1984-03-13' });
    expect(readDateOfBirth('12 March 1984', { today, order: 'month_first' })).toEqual({ kind: 'date', date: '1984-03-12' });
    expect(readDateOfBirth('1984-03-12', { today, order: 'day_first' })).toEqual({ kind: 'date', date: '1984-03-12' });
  });

  it('asks to confirm the century of a two-digit year', () => {
    expect(readDateOfBirth('March 12th 84', { today, order: 'month_first' })).toEqual({ kind: 'century', date: '1984-03-12' });
    expect(readDateOfBirth("12 March '84", { today, order: 'day_first' })).toEqual({ kind: 'century', date: '1984-03-12' });
    expect(readDateOfBirth('3/12/84', { today, order: 'month_first' })).toEqual({ kind: 'century', date: '1984-03-12' });
  });

  it('takes a date sent unasked only when it is at least a year ago', () => {
    const latest = today.minus({ years: 1 });
    expect(readDateOfBirth('book an appointment, my DOB is 12 March 1984', { today, order: 'month_first', latest })).toEqual({ kind: 'date', date: '1984-03-12' });
    expect(readDateOfBirth('2026-03-12', { today, order: 'month_first', latest })).toEqual({ kind: 'none' });
    expect(readDateOfBirth('2026-03-12', { today, order: 'month_first' })).toEqual({ kind: 'date', date: '2026-03-12' });
    for (const text of ['tomorrow at 3', 'the 14th', '12/14', 'next Tuesday']) expect(readDateOfBirth(text, { today, order: 'month_first', latest }), text).toEqual({ kind: 'none' });
  });
});
