import { readWhen } from '../../src/agent/guided/when.js';
import type { Row } from '../section.js';

/**
 * What reading dates and times costs guided mode per turn: `readWhen` (chrono-node, plus the parts of
 * the day and "after 5" read beside it) runs once on every message. In-process, on typical patient
 * messages, with and without a date in them, English and Spanish.
 */

const MESSAGES = [
  'hi',
  '1',
  'yes please',
  'book',
  '1984-03-12',
  'March 12th 84',
  'Can I book with Dr Hart next Tuesday afternoon?',
  'tomorrow at 3',
  'anything on Friday?',
  'the 14th',
  'in two weeks',
  'after 5pm',
  'between 2 and 4',
  'Monday or Tuesday',
  'I need to reschedule my appointment',
  'book an appointment, my DOB is 12 March 1984',
  'I take metformin 500 mg twice a day',
  'el martes por la tarde',
  'mañana a las 3',
  'What are your opening hours?',
];
const ROUNDS = 500;
const WARM_UP_ROUNDS = 100;

/** µs per message over every message, and the slowest message's own mean. */
export function measureWhenParsing(): Row {
  const options = { timeZone: 'America/New_York', now: new Date('2026-11-25T12:00:00Z'), dayFirst: false };
  for (let round = 0; round < WARM_UP_ROUNDS; round++) for (const message of MESSAGES) readWhen(message, options);
  const perMessage = MESSAGES.map((message) => {
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) readWhen(message, options);
    return ((performance.now() - started) * 1000) / ROUNDS;
  });
  const mean = perMessage.reduce((sum, value) => sum + value, 0) / perMessage.length;
  const slowest = Math.max(...perMessage);
  return {
    label: `Guided mode: reading dates and times per message (chrono-node, in-process; ${MESSAGES.length} typical messages): mean / slowest message`,
    value: `${mean.toFixed(0)} µs / ${slowest.toFixed(0)} µs`,
  };
}
