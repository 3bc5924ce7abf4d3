import { type Answer, type GuidedContext } from '../context.js';
import { join } from '../replies/index.js';
import type { Step, StepOf } from '../state.js';

/**
 * Messages guided mode cannot read as words: nothing but emoji (or marks, joiners, symbols, or
 * nothing at all: a sticker or a location arrives with an empty body), and
 * messages too long for keywords to mean anything. Neither moves a step on: a date of birth awaited
 * stays awaited, and the question is asked again. Messages in another script are answered before
 * either engine (see decide.ts), so that the model does not answer them in a language staff cannot read.
 */

/**
 * Past this many characters (about 150 to 200 words) a message is a letter, not a request: keywords
 * found in it are more likely incidental than meant, so guided mode does not act on them.
 */
export const LONG_MESSAGE = 1_000;

export type OddMessage = 'no_words' | 'long';

/** Whether the message is one of those, given the step it answers (a questionnaire answer in words may be long). */
export function oddMessage(context: GuidedContext, step: Step): OddMessage | undefined {
  if (context.normalized === '') return 'no_words';
  if (context.text.length > LONG_MESSAGE && step.kind !== 'intake_question') return 'long';
  return undefined;
}

/** The answer to an odd message: what guided mode can do with it, then the question it is still waiting on. */
export function answerOddMessage(context: GuidedContext, step: Step, odd: OddMessage): Answer {
  const waiting = waitingFor(context, step);
  const said = odd === 'long' ? context.say.tooLong : context.say.onlyWords;
  return { text: join(said, waiting ?? (odd === 'no_words' ? context.say.replyMenu(context.voice) : undefined)), step };
}

/** The question about a date of birth read before: which of two readings, or whether the century is right. */
function dateQuestion(context: GuidedContext, step: StepOf<'ask_date_of_birth'> | StepOf<'register_date_of_birth'>): string | undefined {
  if (step.dateChoices) return context.say.whichDate(context.voice, step.dateChoices);
  if (step.dateToConfirm) return context.say.confirmCentury(context.voice, step.dateToConfirm);
  return undefined;
}

/** The question a step is waiting on, asked again; undefined at rest. */
function waitingFor(context: GuidedContext, step: Step): string | undefined {
  const { say, voice } = context;
  switch (step.kind) {
    case 'idle':
      return undefined;
    case 'ask_date_of_birth':
      return dateQuestion(context, step) ?? say.askDateOfBirth(voice);
    case 'register_date_of_birth':
      return dateQuestion(context, step) ?? say.askRegistrationDateOfBirth(step.givenName);
    case 'ask_family_name':
      return say.askFamilyName;
    case 'register_name':
      return say.fullNameNeeded;
    case 'choose_appointment':
    case 'choose_slot':
    case 'choose_practitioner':
      return say.pickNumber(voice, step.options.length);
    case 'confirm_cancel':
      return say.yesOrNo;
    case 'offer_confirm':
      return say.confirmWhat(voice);
    case 'intake_question':
      return say.intakeQuestion(voice, step.question);
  }
}
