import type { RecordInput } from '../../../modules/intake/record-data.js';
import type { SessionDetail } from '../../../modules/intake/schema.js';
import type { z } from 'zod';
import { idleStep, type Answer, type GuidedContext } from '../context.js';
import { intakeQuestions, type IntakeQuestion, type StepOf } from '../state.js';
import { failed } from './failures.js';
import { clipText } from '../../../tools/input-text.js';
import { join } from '../replies/index.js';

/**
 * The health questionnaire in chat, for the verified patient: one question at a time into their open
 * intake session (a new one, or the one they left), each answer stored at once as the session's
 * records, then submitted to the clinic. "skip" passes a question over, PAUSE (or "not now") keeps the
 * answers for later, and asking for the questionnaire again goes on with what is still unanswered.
 */

/** The record kinds that answer each question (a question is answered once one of them is in the session). */
const ANSWERED_BY: Record<IntakeQuestion, readonly RecordInput['kind'][]> = {
  chief_complaint: ['chief_complaint'],
  allergies: ['allergy', 'no_known_allergies'],
  medications: ['medication', 'no_medications'],
  conditions: ['condition'],
  family_history: ['family_history'],
  tobacco: ['social_history'],
};
/** What the clinic needs before the questionnaire can be sent (see the intake module's submit). */
const REQUIRED: readonly IntakeQuestion[] = ['chief_complaint', 'allergies', 'medications'];

/** The answers that mean skip, pause or none, in English and in Spanish (with or without accents). */
const SKIP = /^(skip|skip it|pass|next|next question|i don't know|don't know|dont know|not sure|prefer not to say|saltar|paso|siguiente|siguiente pregunta|no s[eé]|no estoy segur[oa]|prefiero no decir)$/;
const PAUSE = /^(pause|later|stop the questions|stop questions|stop the questionnaire|continue later|pausa|pausar|despu[eé]s|luego|m[aá]s tarde|seguir despu[eé]s|continuar despu[eé]s)$/;
const NONE =
  /^(none|no|nope|nothing|n a|na|nil|no allergies|no known allergies|nka|nkda|no medications?|no medicines?|no meds|none at all|i don't have any|i don't take any|ningun[oa]|nada|no tengo|no tengo ninguna?|ninguna alergia|no tengo alergias|no tomo|no tomo nada|no tomo medicamentos|ningún medicamento|ningun medicamento)$/;

/** Starts the questionnaire, or goes on with the one the patient left at its unanswered questions. */
export async function startIntake(context: GuidedContext): Promise<Answer> {
  const open = await context.operations.openIntakes();
  if (!open.ok) return failed(context, open.error, { name: 'intake' });
  const existing = open.value.items[0];
  if (!existing) {
    const created = await context.operations.createIntake();
    if (!created.ok) return failed(context, created.error, { name: 'intake' });
    return ask(context, { sessionId: created.value.id, questions: intakeQuestions, skipped: [] }, context.say.intakeIntro);
  }
  const session = await context.operations.getIntake(existing.id);
  if (!session.ok) return failed(context, session.error, { name: 'intake' });
  return ask(context, { sessionId: existing.id, questions: stillToAsk(session.value), skipped: [] }, context.say.intakeResumed);
}

/** The patient's answer to the question asked last. */
export async function answerIntake(context: GuidedContext, step: StepOf<'intake_question'>): Promise<Answer> {
  const text = context.normalized;
  const after = { sessionId: step.sessionId, questions: step.remaining };
  if (PAUSE.test(text)) return { text: context.say.intakePaused, step: idleStep };
  if (SKIP.test(text)) return ask(context, { ...after, skipped: REQUIRED.includes(step.question) ? [...step.skipped, step.question] : step.skipped });
  const records = recordsFor(context, step.question);
  if (records === undefined) return { text: join(context.say.intakeNotRead(context.voice, step.question), context.say.intakeQuestion(context.voice, step.question)), step };
  if (records.length > 0) {
    const stored = await context.operations.addIntakeRecords({
      id: step.sessionId,
      records: records.map((record, index) => ({ ...record, clientItemId: `${context.messageKey}:${step.question}:${index}` }) as RecordInput),
    });
    if (!stored.ok) return failed(context, stored.error, { name: 'intake' });
  }
  return ask(context, { ...after, skipped: step.skipped });
}

type Plan = { sessionId: string; questions: readonly IntakeQuestion[]; skipped: IntakeQuestion[] };

/** Asks the plan's first question, or, with none left, sends the questionnaire (or says what it still needs). */
function ask(context: GuidedContext, plan: Plan, intro?: string): Promise<Answer> | Answer {
  const [question, ...remaining] = plan.questions;
  if (!question) return submit(context, plan.sessionId, plan.skipped, intro);
  return {
    text: join(intro, context.say.intakeQuestion(context.voice, question)),
    step: { kind: 'intake_question', sessionId: plan.sessionId, question, remaining, skipped: plan.skipped },
  };
}

async function submit(context: GuidedContext, sessionId: string, skipped: readonly IntakeQuestion[], intro?: string): Promise<Answer> {
  if (skipped.length > 0) return { text: context.say.intakeIncomplete(skipped), step: idleStep };
  const submitted = await context.operations.submitIntake(sessionId);
  if (!submitted.ok) return failed(context, submitted.error, { name: 'intake' });
  return { text: join(intro, context.say.intakeSent), step: idleStep };
}

/**
 * The questions to ask on going on: every one the clinic needs and has no answer to, and the others
 * after the last one answered. An optional question before it was passed over or answered "none"
 * (which stores nothing), so it is not asked again.
 */
function stillToAsk(session: z.output<typeof SessionDetail>): IntakeQuestion[] {
  const last = Math.max(-1, ...intakeQuestions.map((question, index) => (answered(session, question) ? index : -1)));
  return intakeQuestions.filter((question, index) => !answered(session, question) && (REQUIRED.includes(question) || index > last));
}

const answered = (session: z.output<typeof SessionDetail>, question: IntakeQuestion) => session.records.some((record) => ANSWERED_BY[question].includes(record.kind));

type NewRecord = { kind: RecordInput['kind']; data: Record<string, unknown> };

/** The records an answer makes: none for an optional "none", undefined when it cannot be read. */
function recordsFor(context: GuidedContext, question: IntakeQuestion): NewRecord[] | undefined {
  const none = NONE.test(context.normalized) || context.intent.kind === 'no';
  switch (question) {
    case 'chief_complaint':
      return [{ kind: 'chief_complaint', data: { text: clipText(context.text, 2000) } }];
    case 'allergies':
      return none ? [{ kind: 'no_known_allergies', data: {} }] : items(context.text).map((item) => ({ kind: 'allergy', data: allergy(item) }));
    case 'medications':
      return none ? [{ kind: 'no_medications', data: {} }] : items(context.text).map((item) => ({ kind: 'medication', data: { name: clipText(item, 200) } }));
    case 'conditions':
      return none ? [] : items(context.text).map((item) => ({ kind: 'condition', data: { condition: clipText(item, 200) } }));
    case 'family_history':
      return none ? [] : items(context.text).map((item) => ({ kind: 'family_history', data: relative(item) }));
    case 'tobacco': {
      const tobacco = tobaccoAnswer(context.normalized);
      return tobacco ? [{ kind: 'social_history', data: { tobacco } }] : undefined;
    }
  }
}

/** "penicillin - rash, peanuts; latex" (or "penicilina y látex") → the items, at most 20. */
const items = (text: string) =>
  text
    .split(/[,;\n]|\b(?:and|y)\b/)
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .slice(0, 20);

/** "penicillin - rash", "penicillin (rash)" or "penicillin: rash": the substance and what happens. */
function allergy(item: string): Record<string, string> {
  const [substance, reaction] = item.split(/\s*(?:[-–:(]|\bcauses\b|\bgives me\b)\s*/, 2);
  const named = clipText((substance || item).trim(), 200);
  const what = reaction?.replace(/\)\s*$/, '').trim();
  return what ? { substance: named, reaction: clipText(what, 500) } : { substance: named };
}

/** "mother - diabetes", "father: heart disease", "sister has asthma", "madre tiene diabetes": the relative and the condition. */
function relative(item: string): Record<string, string> {
  const [relation, condition] = item.split(/\s*(?:[-–:]|\bhas\b|\bhad\b|\bwith\b|\btiene\b|\btuvo\b|\bcon\b)\s*/, 2);
  return condition?.trim() ? { relation: clipText(relation.trim(), 100), condition: clipText(condition.trim(), 200) } : { relation: 'not said', condition: clipText(item, 200) };
}

/** 1 or "never" ("nunca"), 2 or "used to" ("antes"), 3 or "yes" ("sí"): never, former or current. */
function tobaccoAnswer(normalized: string): string | undefined {
  if (/^(1|never|no|nope|i don't|i do not|non smoker|nonsmoker|nunca|no fumo)$/.test(normalized)) return 'never';
  if (/^2$|\b(used to|former|quit|stopped|in the past|ex smoker|antes|en el pasado|dej[eé]|ex fumador[a]?)\b/.test(normalized)) return 'former';
  if (/^(3|yes|y|yeah|daily|sometimes|occasionally|s[ií]|a veces|diario)$|\b(i smoke|smoker|cigarettes?|vape|vaping|fumo|fumador[a]?|cigarrillos?|vapeo)\b/.test(normalized)) return 'current';
  return undefined;
}
