import { asVerified, idleStep, type Answer, type GuidedContext } from '../context.js';
import type { StepOf, Task } from '../state.js';
import type { When } from '../when.js';
import { askAboutDate, dateAnswer } from './date-answer.js';
import { askIdentity, failed } from './failures.js';
import { startTask } from './tasks.js';
import { clipText } from '../../../tools/input-text.js';
import { join } from '../replies/index.js';

/**
 * Who is writing: the date of birth (and the family name when verify_identity asks for it), or, for
 * someone new, registration with name and date of birth followed by the same date-of-birth check.
 * Then what they asked for continues.
 */

/** After the check: what the patient asked for, or the menu. */
async function continueWith(context: GuidedContext, task: Task | undefined, message: string): Promise<Answer> {
  const next = task ? await startTask(context, task) : { text: context.say.menu(context.voice), step: idleStep };
  return { ...next, text: join(message, next.text) };
}

async function verify(context: GuidedContext, task: Task | undefined, dateOfBirth: string, familyName?: string): Promise<Answer> {
  const outcome = await context.operations.verifyIdentity({ dateOfBirth, ...(familyName ? { familyName } : {}) });
  if (!outcome.ok) return failed(context, outcome.error, task);
  // The operation's message is English: what it answered is said from its outcome, in the patient's language.
  const result = outcome.value;
  if (result.verified) return continueWith(asVerified(context, result.givenName), task, context.say.verified(result.givenName));
  // The operation asks for the family name when the clinic wants it or the number is shared.
  if (!familyName && result.outcome === 'needs_family_name') {
    return { text: context.say.askFamilyName, step: { kind: 'ask_family_name', dateOfBirth, ...(task ? { task } : {}) } };
  }
  // A mismatch or a lockout: the reply says what to do; another date may be tried.
  return { text: result.outcome === 'locked' ? context.say.locked : context.say.detailsDoNotMatch, step: { kind: 'ask_date_of_birth', ...(task ? { task } : {}) } };
}

export async function answerDateOfBirth(context: GuidedContext, step: StepOf<'ask_date_of_birth'>): Promise<Answer | undefined> {
  const intent = context.intent;
  // A request sent with the date ("book an appointment, my DOB is ...") is what waits for the check now.
  const task = intent.kind === 'task' ? intent.task : step.task;
  const answer = dateAnswer(context, step, { unprompted: false });
  if (answer && 'date' in answer) return verify(context, task, answer.date);
  if (answer) return askAboutDate(context, { ...step, ...(task ? { task } : {}) }, answer);
  if (intent.kind === 'register') return startRegistration(context, step.task);
  // Asked for something else meanwhile: that is what waits for the check now.
  if (intent.kind === 'task') return askIdentityFor(context, intent.task);
  if (intent.kind !== 'unknown') return undefined;
  // "Tomorrow at 3" is no date of birth but when they want to come: kept for after the check.
  const reading = context.when();
  if (reading) return askIdentityFor(context, withTime(step.task, reading.when));
  return { text: context.say.dateNotRead, step: { kind: 'ask_date_of_birth', ...(step.task ? { task: step.task } : {}) } };
}

/** The request with the time the patient asked for: a booking unless they were moving an appointment. */
const withTime = (task: Task | undefined, when: When): Task =>
  task && (task.name === 'book' || task.name === 'reschedule') ? { ...task, when } : { name: 'book', when };

/** Asks for the date of birth, saying first which times will be looked for once it is checked. */
export const askIdentityFor = (context: GuidedContext, task: Task): Answer => askIdentity(context, task, task.when ? context.say.timeNoted(task.when) : undefined);

/**
 * A date of birth sent before it was asked for, alone or with a request ("book an appointment, my DOB
 * is 12 March 1984"): checked at once, for `task`. Undefined when the conversation is verified or the
 * text holds no full date at least a year old.
 */
export async function unpromptedDateOfBirth(context: GuidedContext, task: Task | undefined): Promise<Answer | undefined> {
  if (context.verified) return undefined;
  const answer = dateAnswer(context, {}, { unprompted: true });
  if (!answer) return undefined;
  if ('date' in answer) return verify(context, task, answer.date);
  return askAboutDate(context, { kind: 'ask_date_of_birth', ...(task ? { task } : {}) }, answer);
}

/** A name as a person writes it: letters, spaces, hyphens, apostrophes, dots. */
const NAME = /^[\p{L}][\p{L}\p{M}' .-]*$/u;

export async function answerFamilyName(context: GuidedContext, step: StepOf<'ask_family_name'>): Promise<Answer | undefined> {
  // A request ("book", "my appointments") is not a name; a name is whatever matches no keyword.
  if (context.intent.kind !== 'unknown') return undefined;
  const familyName = context.text.trim();
  if (!NAME.test(familyName) || familyName.length > 100) return { text: context.say.familyNameNotRead, step };
  return verify(context, step.task, step.dateOfBirth, familyName);
}

export function startRegistration(context: GuidedContext, task: Task | undefined): Answer {
  if (context.verified) return { text: join(context.say.alreadyVerified(context.givenName), context.say.menu(context.voice)), step: idleStep };
  return { text: context.say.askFullName, step: { kind: 'register_name', ...(task ? { task } : {}) } };
}

const capitalized = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** "ana ruiz", "My name is Ana María Ruiz": given names first, the last word the family name. */
function readFullName(text: string): { givenName: string; familyName: string } | undefined {
  const name = text
    .trim()
    .replace(/^(my name is|my name's|i am|i'm|it's|it is|this is|name:?)\s+/i, '')
    .replace(/[.!]+$/, '')
    .trim();
  if (!NAME.test(name) || name.length > 150) return undefined;
  const parts = name.split(/\s+/);
  if (parts.length < 2 || parts.length > 6) return undefined;
  // Someone who writes all in lower case most likely means capitals; anything else is kept as written.
  const words = name === name.toLowerCase() ? parts.map(capitalized) : parts;
  return { givenName: clipText(words.slice(0, -1).join(' '), 100), familyName: clipText(words[words.length - 1], 100) };
}

export function answerRegistrationName(context: GuidedContext, step: StepOf<'register_name'>): Answer | undefined {
  if (context.intent.kind !== 'unknown') return undefined;
  const name = readFullName(context.text);
  if (!name) return { text: context.say.fullNameNeeded, step };
  return { text: context.say.askRegistrationDateOfBirth(name.givenName), step: { kind: 'register_date_of_birth', ...name, ...(step.task ? { task: step.task } : {}) } };
}

export async function answerRegistrationDateOfBirth(context: GuidedContext, step: StepOf<'register_date_of_birth'>): Promise<Answer | undefined> {
  const answer = dateAnswer(context, step, { unprompted: false });
  if (!answer) return context.intent.kind === 'unknown' ? { text: context.say.dateNotRead, step } : undefined;
  if (!('date' in answer)) return askAboutDate(context, step, answer);
  const outcome = await context.operations.registerPatient({ givenName: step.givenName, familyName: step.familyName, dateOfBirth: answer.date });
  if (!outcome.ok) return failed(context, outcome.error, step.task);
  if (outcome.value.nextStep === 'none') return continueWith(context, step.task, context.say.alreadyVerified(context.givenName));
  // Registered or not (the answer does not say, so as not to tell a stranger who is on file), the
  // date of birth is asked again and checked like any other: that finds the new record, or theirs.
  return { text: context.say.confirmToFinish, step: { kind: 'ask_date_of_birth', ...(step.task ? { task: step.task } : {}) } };
}
