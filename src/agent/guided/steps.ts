import { idleStep, type Answer, type GuidedContext } from './context.js';
import { askToCancel, cancelAppointment, confirmAppointment } from './flows/appointments.js';
import { bookSlot } from './flows/book.js';
import { answerIntake } from './flows/intake.js';
import { moveToSlot, offerNewTimes } from './flows/reschedule.js';
import { offerLaterSlots, offerSlots, searchTask } from './flows/slots.js';
import { offerNamed, withPractitioner } from './flows/who.js';
import { answerDateOfBirth, answerFamilyName, answerRegistrationDateOfBirth, answerRegistrationName } from './flows/verify.js';
import { choiceNumber } from './intents.js';
import { join } from './replies/index.js';
import { namedIn } from './request.js';
import type { SlotSearch, Step, StepOf } from './state.js';

/**
 * Answers to the question the engine asked last turn: a number from the options, yes or no, a date.
 * Undefined when the text is not an answer to it but a request of its own (the engine then reads it
 * afresh); text that is neither gets the question again.
 */
export async function answerStep(context: GuidedContext, step: Step): Promise<Answer | undefined> {
  switch (step.kind) {
    case 'idle':
      return undefined;
    case 'ask_date_of_birth':
      return answerDateOfBirth(context, step);
    case 'ask_family_name':
      return answerFamilyName(context, step);
    case 'register_name':
      return answerRegistrationName(context, step);
    case 'register_date_of_birth':
      return answerRegistrationDateOfBirth(context, step);
    case 'choose_appointment':
      return answerChooseAppointment(context, step);
    case 'confirm_cancel':
      return answerConfirmCancel(context, step);
    case 'choose_slot':
      return answerChooseSlot(context, step);
    case 'choose_practitioner':
      return answerChoosePractitioner(context, step);
    case 'offer_confirm':
      return answerOfferConfirm(context, step);
    case 'intake_question':
      return answerIntake(context, step);
  }
}

const noneOfThese = (context: GuidedContext): Answer => ({ text: join(context.say.stopped, context.say.menu(context.voice)), step: idleStep });

async function answerChooseAppointment(context: GuidedContext, step: StepOf<'choose_appointment'>): Promise<Answer | undefined> {
  const number = choiceNumber(context.normalized);
  if (number !== undefined) {
    const appointment = step.options.at(number - 1);
    if (number < 1 || !appointment) return { text: context.say.pickNumber(context.voice, step.options.length), step };
    return step.purpose === 'cancel' ? askToCancel(context, appointment) : offerNewTimes(context, appointment, step.task ?? { name: 'reschedule' });
  }
  if (context.intent.kind === 'no') return noneOfThese(context);
  if (context.intent.kind === 'unknown') return { text: context.say.pickNumber(context.voice, step.options.length), step };
  return undefined;
}

async function answerConfirmCancel(context: GuidedContext, step: StepOf<'confirm_cancel'>): Promise<Answer | undefined> {
  if (context.intent.kind === 'yes') return cancelAppointment(context, step.appointment);
  if (context.intent.kind === 'no') return { text: context.say.kept, step: idleStep };
  if (context.intent.kind === 'unknown') return { text: context.say.yesOrNo, step };
  return undefined;
}

async function answerChooseSlot(context: GuidedContext, step: StepOf<'choose_slot'>): Promise<Answer | undefined> {
  const number = choiceNumber(context.normalized);
  if (number !== undefined) {
    const slot = step.options.at(number - 1);
    if (number < 1 || !slot) return { text: context.say.pickNumber(context.voice, step.options.length), step };
    return step.search.purpose === 'book' ? bookSlot(context, step.search, slot) : moveToSlot(context, step.search, slot);
  }
  if (context.intent.kind === 'more') return offerLaterSlots(context, step.search, step.options);
  if (context.intent.kind === 'no') return noneOfThese(context);
  if (context.intent.kind === 'unknown') return (await searchAgain(context, step.search)) ?? { text: context.say.pickNumber(context.voice, step.options.length), step };
  return undefined;
}

/**
 * Another day, time or practitioner asked for while times are offered ("anything on Friday?", "what
 * about Dr Ruiz?"): the search again with that changed and the rest kept. Undefined when the text
 * asks for neither.
 */
async function searchAgain(context: GuidedContext, search: SlotSearch): Promise<Answer | undefined> {
  const reading = context.when();
  const when = reading?.when;
  const words = namedIn(context.text, reading);
  const changed: SlotSearch = when ? { ...search, when } : search;
  const sameWho = async () => (when ? offerSlots(context, changed) : undefined);
  return words ? offerNamed(context, { search: changed, words, task: searchTask(search) }, sameWho) : sameWho();
}

async function answerChoosePractitioner(context: GuidedContext, step: StepOf<'choose_practitioner'>): Promise<Answer | undefined> {
  const number = choiceNumber(context.normalized);
  if (number !== undefined) {
    const practitioner = step.options.at(number - 1);
    if (number < 1 || !practitioner) return { text: context.say.pickNumber(context.voice, step.options.length), step };
    return offerSlots(context, withPractitioner(step.search, practitioner));
  }
  if (context.intent.kind === 'no') return noneOfThese(context);
  if (context.intent.kind === 'unknown') return { text: context.say.pickNumber(context.voice, step.options.length), step };
  return undefined;
}

async function answerOfferConfirm(context: GuidedContext, step: StepOf<'offer_confirm'>): Promise<Answer | undefined> {
  const intent = context.intent;
  const confirming = intent.kind === 'yes' || (intent.kind === 'task' && intent.task.name === 'confirm');
  return confirming ? confirmAppointment(context, step.appointmentId) : undefined;
}
