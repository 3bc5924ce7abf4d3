import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { readDateOfBirth } from '../src/agent/guided/dates.js';
import { guidedTurn } from '../src/agent/guided/engine.js';
import { choiceNumber, classify, normalize } from '../src/agent/guided/intents.js';
import type { GuidedState } from '../src/agent/guided/types.js';
import { AppError } from '../src/errors.js';
import type { ToolCaller } from '../src/tools/ai-sdk.js';

/** How guided mode reads text, and that it answers whatever it is sent, even with every operation failing. */

const today = DateTime.fromISO('2026-11-25', { zone: 'America/New_York' });

describe('reading dates of birth', () => {
  it('reads the usual ways of writing one', () => {
    for (const text of ['1984-03-12', '1984/3/12', 'March 12 1984', 'march 12th, 1984', 'Mar. 12, 1984', '12 March 1984', '12th of March 1984', 'born on 12 march 1984 thanks', '13/03/1984', '3/13/1984']) {
      const expected = text.includes('13') ? '1984-03-13' : '1984-03-12';
      expect(readDateOfBirth(text, { today, order: 'month_first' }), text).toEqual({ kind: 'date', date: expected });
    }
    expect(readDateOfBirth('12.3.84', { today, order: 'undecided' })).toEqual({ kind: 'ambiguous', dates: ['1984-03-12', '1984-12-03'] });
    expect(readDateOfBirth('05/05/05', { today, order: 'month_first' })).toEqual({ kind: 'century', date: '2005-05-05' });
  });

  it('refuses what is not a real past date', () => {
    for (const text of ['1984-02-30', '2027-01-01', '31/31/1984', 'Smarch 12 1984', '12 13', 'tomorrow', '', '1850-01-01']) {
      expect(readDateOfBirth(text, { today, order: 'month_first' }), text).toEqual({ kind: 'none' });
    }
  });
});

describe('reading requests and answers', () => {
  const kind = (text: string) => classify(normalize(text));

  it('tells requests apart, and "cancel that" from cancelling an appointment', () => {
    expect(kind('cancel that')).toEqual({ kind: 'back' });
    expect(kind('Stop that!')).toEqual({ kind: 'back' });
    expect(kind('I need to cancel my appointment')).toEqual({ kind: 'task', task: { name: 'cancel' } });
    expect(kind('can I move it to another day?')).toEqual({ kind: 'task', task: { name: 'reschedule' } });
    expect(kind('Book with Dr. Ruiz please')).toEqual({ kind: 'task', task: { name: 'book', preference: 'ruiz' } });
    expect(kind('2 with Okafor')).toEqual({ kind: 'task', task: { name: 'book', preference: 'okafor' } });
    expect(kind('when is my appointment')).toEqual({ kind: 'task', task: { name: 'list' } });
    expect(kind('C')).toEqual({ kind: 'task', task: { name: 'confirm' } });
    expect(kind('I want to talk to someone')).toEqual({ kind: 'handoff' });
    expect(kind('yes please')).toEqual({ kind: 'yes', casual: false });
    expect(kind('ok thanks')).toEqual({ kind: 'yes', casual: true });
    expect(kind('nope')).toEqual({ kind: 'no' });
    expect(kind('where are you located')).toEqual({ kind: 'clinic_info' });
    expect(kind('my chest pain is back')).toEqual({ kind: 'emergency' });
    expect(kind('lorem ipsum')).toEqual({ kind: 'unknown' });
  });

  it('reads option numbers written or spoken, and nothing that says more', () => {
    for (const [text, number] of [['2', 2], ['2.', 2], ['#3', 3], ['option 4', 4], ['Option two.', 2], ['the first one', 1], ['number 5 please', 5], ['3rd', 3], ['option one', 1]] as const) {
      expect(choiceNumber(normalize(text)), text).toBe(number);
    }
    for (const text of ['2 with Dr Ruiz', 'book', 'one or two', '']) expect(choiceNumber(normalize(text)), text).toBeUndefined();
  });
});

describe('never an error or silence', () => {
  const failing: ToolCaller = async (tool) => {
    if (tool === 'get_clinic_info') throw new Error('connection refused');
    return { ok: false, error: new AppError('internal', 'Something went wrong on our side. The error was logged.') };
  };
  const slot = { practitionerId: 'p', practitionerName: 'Dr. X', locationName: 'Main', startAt: '2026-11-26T14:00:00.000Z', endAt: '2026-11-26T14:30:00.000Z', startLocal: '2026-11-26T09:00:00-05:00' };
  const appointment = { id: 'a', startAt: slot.startAt, startLocal: slot.startLocal, practitionerId: 'p', practitionerName: 'Dr. X', status: 'booked' };
  const offeredAt = '2026-11-25T11:55:00.000Z';
  const states: (GuidedState | undefined)[] = [
    undefined,
    { step: 'garbage' },
    { step: { kind: 'ask_date_of_birth', task: { name: 'book' } }, offeredAt },
    { step: { kind: 'ask_family_name', dateOfBirth: '1984-03-12' }, offeredAt },
    { step: { kind: 'register_date_of_birth', givenName: 'A', familyName: 'B', dateChoices: ['1984-03-12', '1984-12-03'] }, offeredAt },
    { step: { kind: 'choose_slot', search: { purpose: 'reschedule', appointment }, options: [slot] }, offeredAt, patientId: 'patient' },
    { step: { kind: 'choose_slot', search: { purpose: 'book', when: { dates: [{ from: '2026-11-27', to: '2026-11-27' }], time: { from: '12:00', to: '17:00', kind: 'afternoon' } } }, options: [slot] }, offeredAt, patientId: 'patient' },
    { step: { kind: 'choose_practitioner', search: { purpose: 'book' }, options: [{ id: 'p', name: 'Dr. X', specialty: null }, { id: 'q', name: 'Dr. Y', specialty: null }] }, offeredAt, patientId: 'patient' },
    { step: { kind: 'ask_date_of_birth', task: { name: 'book' }, dateToConfirm: '1984-03-12' }, offeredAt },
    { step: { kind: 'confirm_cancel', appointment }, offeredAt, patientId: 'patient' },
    { step: { kind: 'offer_confirm', appointmentId: 'a' }, offeredAt, patientId: 'patient' },
    { step: { kind: 'intake_question', sessionId: 's', question: 'allergies' }, offeredAt, patientId: 'patient' },
    { step: { kind: 'intake_question', sessionId: 's', question: 'tobacco', skipped: ['medications'] }, offeredAt, patientId: 'patient' },
  ];
  const texts = ['', '   ', '🙂', '1', '9', 'yes', 'no', 'more', 'C', '2', '5', 'hours', 'new', 'ann lee', 'skip', 'pause', 'questionnaire', 'penicillin - rash, latex', '1984-03-12', '12/03/1984', 'March 12th 84', 'tomorrow at 3', 'anything on Friday?', 'book with dr hart next tuesday afternoon', "'; drop table patient; --", 'x'.repeat(5000)];

  it('answers every text in every state with a plain reply when every operation fails', async () => {
    for (const state of states) {
      for (const text of texts) {
        for (const verified of [false, true]) {
          const result = await guidedTurn({
            text,
            messageKey: 'SM0000',
            state,
            call: failing,
            clinic: { name: 'Harbor Clinic', timeZone: 'America/New_York', address: null, phone: '+1 212 555 0100', hours: null, policies: null, verification: 'date_of_birth', locale: 'en', country: 'US' },
            now: new Date('2026-11-25T12:00:00Z'),
            channel: 'sms',
            patientId: verified ? 'patient' : null,
            verifiedPatient: async () => null,
            givenName: null,
          });
          const label = `${JSON.stringify(state)?.slice(0, 60)} / ${text.slice(0, 20)} / ${verified}`;
          expect(result.reply.trim().length, label).toBeGreaterThan(0);
          expect(result.reply, label).not.toMatch(/internal|error was logged|Error|undefined|\[object/);
          expect(JSON.parse(JSON.stringify(result.state)), label).toEqual(result.state);
        }
      }
    }
  });
});
