import { idleStep, type Answer, type GuidedContext } from '../context.js';
import { join, when } from '../replies.js';
import * as replies from '../replies.js';
import type { Step } from '../state.js';

/** Passing the conversation to a person: the ticket's reason and a summary for whoever picks it up. */

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
  const intro = options.urgent ? replies.emergency : undefined;
  const summary = [
    'Answered in guided mode (automatic replies without a language model).',
    `Identity verified: ${context.verified ? 'yes' : 'no'}.`,
    `The patient wrote: "${context.text.slice(0, 500)}"`,
    stepSummary(step),
  ]
    .filter(Boolean)
    .join('\n');
  const outcome = await context.operations.handOff({
    reason: options.urgent ? 'Possible emergency: the patient wrote about urgent symptoms.' : 'The patient asked to talk to a person.',
    summary,
    urgent: options.urgent,
  });
  if (!outcome.ok) return { text: join(intro, replies.handoffFailed(context.clinic.phone)), step: idleStep };
  return { text: join(intro, outcome.value.message), step: idleStep, handedOff: true };
}
