import { operations } from './calls.js';
import { idleStep, type Answer, type GuidedContext } from './context.js';
import { clinicInfo } from './flows/clinic-info.js';
import { handOff } from './flows/handoff.js';
import { knowledgeAnswer } from './flows/knowledge.js';
import { answerOddMessage, oddMessage } from './flows/odd-messages.js';
import { offerSlots, searchTask } from './flows/slots.js';
import { startTask } from './flows/tasks.js';
import { startRegistration, unpromptedDateOfBirth } from './flows/verify.js';
import { choiceNumber, classify, normalize } from './intents.js';
import { dateOrder } from './date-order.js';
import { addressedIn, withRequest } from './request.js';
import { isExpired, readMemory, saveMemory, type Memory, type Step, type Task } from './state.js';
import { answerStep } from './steps.js';
import type { GuidedInput, GuidedResult } from './types.js';
import { readWhen, type WhenReading } from './when.js';
import { join, repliesIn } from './replies/index.js';
import { detectLanguage } from '../detect-language.js';
import { pickLanguage, type Language } from '../language.js';

/** Dates and times are read in the first this many characters: a request for a time is short. */
const WHEN_READ = 500;

/**
 * Guided mode: answers one patient message without a language model. It reads the text (keywords,
 * numbers, yes/no, dates), acts only through the operations, and always returns a reply: a failed
 * operation becomes a reply the patient can act on, and text it cannot place gets the menu.
 */
export async function guidedTurn(input: GuidedInput): Promise<GuidedResult> {
  const memory = readMemory(input.state, input.now);
  const normalized = normalize(input.text);
  const verified = input.patientId !== null;
  const detected = writtenIn(input.text, memory.step);
  const language = pickLanguage({ detected, kept: memory.language, preferred: input.preferredLanguage, clinic: input.clinic.locale });
  const text = input.text.trim();
  const dayFirst = dateOrder(input.clinic.country) === 'day_first';
  let reading: { value: WhenReading | undefined } | undefined;
  const when = () => (reading ??= { value: readWhen(text.slice(0, WHEN_READ), { timeZone: input.clinic.timeZone, now: input.now, dayFirst }) }).value;
  const context: GuidedContext = {
    operations: operations(input.call),
    clinic: input.clinic,
    language,
    say: repliesIn[language],
    now: input.now,
    channel: input.channel,
    voice: input.channel === 'voice',
    verified,
    verifiedThisTurn: false,
    givenName: verified ? input.givenName : null,
    text,
    normalized,
    messageKey: input.messageKey,
    intent: withRequest(classify(normalized), text, when),
    when,
  };
  const answer = await respond(context, memory, input.patientId);
  return {
    reply: context.voice ? context.say.spoken(answer.text) : answer.text,
    state: saveMemory({
      step: answer.step,
      patientId: await optionsOwner(input, answer.step),
      offeredAt: input.now.toISOString(),
      misses: answer.misunderstood ? memory.misses + 1 : 0,
      language: detected ?? memory.language,
    }),
    handedOff: answer.handedOff ?? false,
  };
}

/**
 * The language the message is clearly written in, except a name given when asked for one: "Ana de la
 * Cruz" says nothing about the language its writer wants answers in.
 */
function writtenIn(text: string, step: Step): Language | undefined {
  return step.kind === 'register_name' || step.kind === 'ask_family_name' ? undefined : detectLanguage(text);
}

/**
 * Whose records the new step's options come from: the patient verified when the turn began, or, when
 * the check succeeded in this turn, the one it verified (read again). A check that lapsed meanwhile
 * leaves the options nobody's.
 */
async function optionsOwner(input: GuidedInput, step: Step): Promise<string | null> {
  if (!taskBehind(step)) return null;
  return input.patientId ?? (await input.verifiedPatient());
}

async function respond(context: GuidedContext, memory: Memory, patientId: string | null): Promise<Answer> {
  const intent = context.intent;
  const behind = taskBehind(memory.step);
  // Options from the records of a patient the conversation is not verified as now (the check lapsed,
  // or someone else on the number verified since): nothing of them is shown, acted on or passed on.
  const foreign = behind !== undefined && (!context.verified || memory.patientId !== patientId);
  const step = foreign ? idleStep : memory.step;
  // These mean the same whatever was asked last (a questionnaire's answer in words is an answer,
  // even when it mentions a nurse: only a short message asks for a person there).
  if (intent.kind === 'emergency') return handOff(context, step, { urgent: true });
  if (intent.kind === 'handoff' && !(step.kind === 'intake_question' && wordCount(context.normalized) > 4)) return handOff(context, step, { urgent: false });
  if (intent.kind === 'menu') return { text: context.say.menu(context.voice), step: idleStep };
  if (intent.kind === 'back') {
    if (step.kind === 'intake_question') return { text: context.say.intakePaused, step: idleStep };
    return { text: join(memory.step.kind === 'idle' ? undefined : context.say.stopped, context.say.menu(context.voice)), step: idleStep };
  }
  // Emoji alone, or a letter-length message: said what can be done, and the step still waits.
  const odd = oddMessage(context, step);
  if (odd) return answerOddMessage(context, step, odd);
  if (behind && foreign) {
    // A number or yes meant for those options starts the request afresh for whoever is verified now
    // (asking for the date of birth first when nobody is); anything else is read on its own.
    return actsOnOptions(context) ? startTask(context, behind) : answerRequest(context, { ...memory, step: idleStep });
  }
  if (isExpired(memory, context.now)) return restart(context, memory);
  return (await answerStep(context, memory.step)) ?? answerRequest(context, memory);
}

/** The menu's numbers, when no options of a step are waiting for one. */
const MENU: Record<number, Task | 'handoff'> = {
  1: { name: 'list' },
  2: { name: 'book' },
  3: { name: 'reschedule' },
  4: { name: 'cancel' },
  5: 'handoff',
};

/** A message read on its own: a request, small talk, or something not understood. */
async function answerRequest(context: GuidedContext, memory: Memory): Promise<Answer> {
  const intent = context.intent;
  switch (intent.kind) {
    case 'task':
      return (await unpromptedDateOfBirth(context, intent.task)) ?? startTask(context, intent.task);
    case 'register':
      return startRegistration(context, undefined);
    case 'clinic_info':
      return clinicInfo(context);
    case 'greeting':
      return { text: join(context.say.greeting(context.clinic.name, context.givenName), context.say.menu(context.voice)), step: idleStep };
    case 'thanks':
      return { text: context.say.welcome, step: idleStep };
    case 'yes':
      // A yes with no question pending: most likely an answer to a reminder, but it cannot be sure.
      return { text: intent.casual ? context.say.acknowledged : context.say.confirmWhat(context.voice), step: idleStep };
    case 'no':
      return { text: context.say.acknowledged, step: idleStep };
    default: {
      const choice = MENU[choiceNumber(context.normalized) ?? 0];
      if (choice === 'handoff') return handOff(context, memory.step, { urgent: false });
      if (choice) return startTask(context, choice);
      const checked = await unpromptedDateOfBirth(context, undefined);
      if (checked) return checked;
      const known = await knowledgeAnswer(context);
      if (known) return known;
      // A day or time alone ("tomorrow at 3 with Dr Hart?") asks for an appointment then.
      const reading = context.when();
      if (reading) {
        const preference = addressedIn(context.text, reading);
        return startTask(context, { name: 'book', ...(preference ? { preference } : {}), when: reading.when });
      }
      return {
        text: join(context.say.notUnderstood(context.voice, memory.misses + 1), context.say.menu(context.voice)),
        step: idleStep,
        misunderstood: true,
      };
    }
  }
}

/**
 * The options offered last are too old to act on (free times change). Picking one of them restarts
 * that flow with fresh options, saying why; anything else is read as a message of its own.
 */
async function restart(context: GuidedContext, memory: Memory): Promise<Answer> {
  const again = actsOnOptions(context) ? await startAgain(context, memory.step) : undefined;
  return again ? { ...again, text: join(context.say.expired, again.text) } : answerRequest(context, { ...memory, step: idleStep });
}

function startAgain(context: GuidedContext, step: Step): Promise<Answer> | undefined {
  if (step.kind === 'choose_slot') return offerSlots(context, step.search);
  // An old confirmation question is not asked again: "yes" alone then gets asked what it means.
  if (step.kind === 'offer_confirm') return undefined;
  const task = taskBehind(step);
  return task ? startTask(context, task) : undefined;
}

/** The request behind a step that offered the patient's appointments or times for them. */
function taskBehind(step: Step): Task | undefined {
  switch (step.kind) {
    case 'choose_appointment':
      return { name: step.purpose };
    case 'confirm_cancel':
      return { name: 'cancel' };
    case 'choose_slot':
    case 'choose_practitioner':
      return searchTask(step.search);
    case 'offer_confirm':
      return { name: 'confirm' };
    case 'intake_question':
      return { name: 'intake' };
    default:
      return undefined;
  }
}

const wordCount = (normalized: string) => normalized.split(' ').length;

/** Text that would act on offered options (a number, yes, more) rather than ask for something. */
const actsOnOptions = (context: GuidedContext) => choiceNumber(context.normalized) !== undefined || ['yes', 'more'].includes(context.intent.kind);
