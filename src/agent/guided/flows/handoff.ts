import { idleStep, type Answer, type GuidedContext } from '../context.js';
import { when as whenIn } from '../replies/blocks.js';
import type { Step } from '../state.js';
import { clipText } from '../../../tools/input-text.js';
import { join } from '../replies/index.js';

/** Passing the conversation to a person: the ticket's reason and a summary for whoever picks it up. */

/** A time as staff read it: tickets are written in English, whatever the patient's language. */
const when = (localIso: string) => whenIn(localIso, 'en');

/** What the patient was in the middle of, for staff (not shown to the patient). */
function stepSummary(step: Step): string | undefined {
  switch (step.kind) {
    case 'ask_date_of_birth':
    case 'ask_family_name':
      return `Was being asked to verify their identity${step.task ? ` (to ${step.task.name})` : ''}.`;
    case 'register_name':
    case 'register_date_of_birth':
      return 'Was registering as a new patient.';
    case 'choose_appointment':
      return `Was choosing which appointment to ${step.purpose}.`;
    case 'confirm_cancel':
      return `Was asked to confirm cancelling the appointment on ${when(step.appointment.startLocal)}.`;
    case 'choose_slot':
      return step.search.appointment
        ? `Was choosing a new time for the appointment on ${when(step.search.appointment.startLocal)}.`
        : 'Was choosing a time to book a new appointment.';
    case 'choose_practitioner':
      return `Was choosing which practitioner they meant: ${step.options.map((practitioner) => practitioner.name).join(' or ')}.`;
    case 'offer_confirm':
      return 'Was asked to confirm an appointment.';
    case 'idle':
      return undefined;
  }
}

export async function handOff(context: GuidedContext, step: Step, options: { urgent: boolean }): Promise<Answer> {
  const intro = options.urgent ? context.say.emergency : undefined;
  const summary = [
    'Answered in guided mode (automatic replies without a language model).',
    `Identity verified: ${context.verified ? 'yes' : 'no'}.`,
    `The patient wrote: "${clipText(context.text, 500)}"`,
    stepSummary(step),
  ]
    .filter(Boolean)
    .join('\n');
  const outcome = await context.operations.handOff({
    reason: options.urgent ? 'Possible emergency: the patient wrote about urgent symptoms.' : 'The patient asked to talk to a person.',
    summary,
    urgent: options.urgent,
  });
  if (!outcome.ok) return { text: join(intro, context.say.handoffFailed(context.clinic.phone)), step: idleStep };
  // The operation's message is English; the same news is told in the patient's language.
  return { text: join(intro, context.say.handedOff(context.clinic)), step: idleStep, handedOff: true };
}
