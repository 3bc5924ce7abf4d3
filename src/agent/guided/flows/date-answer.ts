import { DateTime } from 'luxon';
import type { Answer, GuidedContext } from '../context.js';
import { birthDateOrder } from '../date-order.js';
import { readDateOfBirth } from '../dates.js';
import { choiceNumber } from '../intents.js';
import type { Step, StepOf } from '../state.js';

/**
 * A date of birth in a message, and the questions that settle one the text leaves open: which of two
 * readings (03/05/1980 where the clinic's convention cannot tell), or which century ("March 12th 84").
 */

type DateStep = StepOf<'ask_date_of_birth'> | StepOf<'register_date_of_birth'>;
type Question = { dateChoices?: [string, string]; dateToConfirm?: string };

export type DateAnswer =
  | { date: string }
  | { choices: [string, string] }
  | { century: string }
  /** The patient said no to the century offered: the full year is asked for. */
  | { fullYearNeeded: true }
  | undefined;

/**
 * The date the message gives, or the question it leaves open. `question`: what the step asked last
 * (a yes takes the century offered, 1 or 2 a reading). `unprompted`: the date came unasked, so only
 * one at least a year ago counts (an appointment date is never read as a birth date).
 */
export function dateAnswer(context: GuidedContext, question: Question, options: { unprompted: boolean }): DateAnswer {
  if (question.dateToConfirm && context.intent.kind === 'yes') return { date: question.dateToConfirm };
  if (question.dateToConfirm && context.intent.kind === 'no') return { fullYearNeeded: true };
  const picked = question.dateChoices ? choiceNumber(context.normalized) : undefined;
  if (question.dateChoices && (picked === 1 || picked === 2)) return { date: question.dateChoices[picked - 1] };
  const today = DateTime.fromJSDate(context.now, { zone: context.clinic.timeZone });
  const latest = options.unprompted ? today.minus({ years: 1 }) : today;
  const reading = readDateOfBirth(context.text, { today, order: birthDateOrder(context.clinic.country, context.language), latest });
  switch (reading.kind) {
    case 'date':
      return { date: reading.date };
    case 'ambiguous':
      return { choices: reading.dates };
    case 'century':
      return { century: reading.date };
    case 'none':
      return undefined;
  }
}

/** The step again with `question` as the one asked (any earlier one dropped). */
function asking(step: DateStep, question: Question): Step {
  const task = step.task ? { task: step.task } : {};
  if (step.kind === 'ask_date_of_birth') return { kind: step.kind, ...task, ...question };
  return { kind: step.kind, ...task, givenName: step.givenName, familyName: step.familyName, ...question };
}

/** An answer that is not a date yet: asks which reading, whether the century is right, or for the full year. */
export function askAboutDate(context: GuidedContext, step: DateStep, answer: Exclude<DateAnswer, { date: string } | undefined>): Answer {
  if ('choices' in answer) return { text: context.say.whichDate(context.voice, answer.choices), step: asking(step, { dateChoices: answer.choices }) };
  if ('century' in answer) return { text: context.say.confirmCentury(context.voice, answer.century), step: asking(step, { dateToConfirm: answer.century }) };
  return { text: context.say.fullYearNeeded, step: asking(step, {}) };
}
