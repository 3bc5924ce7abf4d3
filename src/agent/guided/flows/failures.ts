import type { AppError } from '../../../errors.js';
import { idleStep, type Answer, type GuidedContext } from '../context.js';
import type { Task } from '../state.js';
import { join } from '../replies/index.js';

/** Asks for the date of birth, keeping what the patient wanted for after the check. */
export function askIdentity(context: GuidedContext, task: Task | undefined, intro?: string): Answer {
  return { text: join(intro, context.say.askDateOfBirth(context.voice)), step: { kind: 'ask_date_of_birth', ...(task ? { task } : {}) } };
}

/**
 * A failed operation as a reply the patient can act on; never its code or message, which are for
 * staff and the run log. A refusal for want of verification (it lapsed since the turn began) asks
 * for the date of birth again, unless the check just succeeded: then asking again would go in circles.
 */
export function failed(context: GuidedContext, error: AppError, task?: Task): Answer {
  switch (error.code) {
    case 'forbidden':
      if (!context.verifiedThisTurn) return askIdentity(context, task);
      return { text: context.say.somethingWentWrong(context.voice, context.clinic.phone), step: idleStep };
    case 'not_found':
      return { text: context.say.appointmentGone(context.voice), step: idleStep };
    case 'conflict':
    case 'unprocessable':
      return { text: context.say.changedMeanwhile(context.voice), step: idleStep };
    default:
      return { text: context.say.somethingWentWrong(context.voice, context.clinic.phone), step: idleStep };
  }
}
