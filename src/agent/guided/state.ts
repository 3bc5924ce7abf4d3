import { z } from 'zod';
import { languages, type Language } from '../language.js';
import type { GuidedState } from './types.js';
import { When } from './when.js';

/**
 * What guided mode remembers between turns, as a zod schema: the state comes back from the
 * conversation row as plain JSON, possibly written by an older version of this code, so it is parsed
 * rather than trusted. Anything that does not parse starts the conversation afresh.
 */

export const taskNames = ['list', 'confirm', 'cancel', 'reschedule', 'book', 'intake'] as const;

/** Something the patient asked for that needs their record: kept while their identity is checked. */
export const Task = z.object({
  name: z.enum(taskNames),
  /** For book and reschedule: the practitioner, specialty or place the patient named ("with Dr Ruiz", "dermatology", "harbour st"). */
  preference: z.string().max(200).optional(),
  /** For book and reschedule: when the patient wants to come ("next Tuesday afternoon"), read when they asked. */
  when: When.optional(),
});
export type Task = z.infer<typeof Task>;

/** An appointment as offered to the patient. */
export const AppointmentChoice = z.object({
  id: z.string(),
  startAt: z.string(),
  startLocal: z.string(),
  practitionerId: z.string(),
  practitionerName: z.string().nullable(),
  status: z.string(),
});
export type AppointmentChoice = z.infer<typeof AppointmentChoice>;

/** A free slot as offered to the patient. */
export const SlotChoice = z.object({
  practitionerId: z.string(),
  practitionerName: z.string(),
  locationName: z.string(),
  startAt: z.string(),
  endAt: z.string(),
  startLocal: z.string(),
});
export type SlotChoice = z.infer<typeof SlotChoice>;

/** Which slots to look for: kept so that MORE, a lost race and an expired list can search again. */
export const SlotSearch = z.object({
  purpose: z.enum(['book', 'reschedule']),
  /** reschedule: the appointment being moved; its practitioner's slots come first. */
  appointment: AppointmentChoice.optional(),
  /** Only these practitioners, or this specialty (from the patient's preference). */
  practitionerIds: z.array(z.string()).optional(),
  specialty: z.string().optional(),
  /** What the patient asked for, to name it in replies. */
  preferenceLabel: z.string().optional(),
  /** Only this place, and its name for replies. */
  locationId: z.string().optional(),
  locationLabel: z.string().optional(),
  /** Only these days and times of day. */
  when: When.optional(),
});
export type SlotSearch = z.infer<typeof SlotSearch>;

const DateChoices = z.tuple([z.string(), z.string()]);
/** A date of birth read with a two-digit year ("March 12th 84"): a yes takes it, with the century it names. */
const DateToConfirm = z.string();

/** A practitioner offered by name when the patient's words fit several. */
export const PractitionerChoice = z.object({ id: z.string(), name: z.string(), specialty: z.string().nullable() });
export type PractitionerChoice = z.infer<typeof PractitionerChoice>;

/** The health questionnaire's questions, in the order they are asked (see flows/intake.ts). */
export const intakeQuestions = ['chief_complaint', 'allergies', 'medications', 'conditions', 'family_history', 'tobacco'] as const;
export type IntakeQuestion = (typeof intakeQuestions)[number];

export const Step = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('idle') }),
  /** Waiting for the date of birth; `dateChoices` when the last answer could be read two ways (03/05/1980). */
  z.object({ kind: z.literal('ask_date_of_birth'), task: Task.optional(), dateChoices: DateChoices.optional(), dateToConfirm: DateToConfirm.optional() }),
  /** verify_identity asked for the family name too. */
  z.object({ kind: z.literal('ask_family_name'), task: Task.optional(), dateOfBirth: z.string() }),
  z.object({ kind: z.literal('register_name'), task: Task.optional() }),
  z.object({
    kind: z.literal('register_date_of_birth'),
    task: Task.optional(),
    givenName: z.string(),
    familyName: z.string(),
    dateChoices: DateChoices.optional(),
    dateToConfirm: DateToConfirm.optional(),
  }),
  /** `task`: for reschedule, what the patient asked for with it (a day, a practitioner). */
  z.object({ kind: z.literal('choose_appointment'), purpose: z.enum(['cancel', 'reschedule']), options: z.array(AppointmentChoice).min(1), task: Task.optional() }),
  z.object({ kind: z.literal('confirm_cancel'), appointment: AppointmentChoice }),
  z.object({ kind: z.literal('choose_slot'), search: SlotSearch, options: z.array(SlotChoice).min(1) }),
  /** The patient's words fit several practitioners ("Dr Hart", two Harts): which one, then `search` with them. */
  z.object({ kind: z.literal('choose_practitioner'), search: SlotSearch, options: z.array(PractitionerChoice).min(2) }),
  /**
   * A yes now confirms this appointment. `validUntil` lets a reminder sent by the clinic keep the
   * question open longer than the engine's own 30 minutes (see `awaitingConfirmation`).
   */
  z.object({ kind: z.literal('offer_confirm'), appointmentId: z.string(), validUntil: z.string().optional() }),
  /**
   * The health questionnaire asked `question` for the patient's open intake session; `remaining`: the
   * questions still to ask after it; `skipped`: required questions passed over.
   */
  z.object({
    kind: z.literal('intake_question'),
    sessionId: z.string(),
    question: z.enum(intakeQuestions),
    remaining: z.array(z.enum(intakeQuestions)).default([]),
    skipped: z.array(z.enum(intakeQuestions)).default([]),
  }),
]);
export type Step = z.infer<typeof Step>;
export type StepOf<Kind extends Step['kind']> = Extract<Step, { kind: Kind }>;

const Memory = z.object({
  step: Step,
  /**
   * The patient whose records the step's options come from (appointments, ids): they are acted on
   * only while the conversation is verified as that patient. Missing (an older state): nobody's.
   */
  patientId: z.string().nullable().default(null),
  /** When the step's question was asked: options older than OPTIONS_VALID_MS are not taken up. */
  offeredAt: z.string(),
  /** Messages in a row that were not understood, to offer a person sooner. */
  misses: z.number().int().min(0).default(0),
  /** The language the patient last clearly wrote in: kept so that "1" or "sí" later is answered in it. */
  language: z.enum(languages).optional(),
});
export type Memory = z.infer<typeof Memory>;

export const OPTIONS_VALID_MS = 30 * 60_000;

export const idleStep: Step = { kind: 'idle' };

export function readMemory(state: GuidedState | undefined, now: Date): Memory {
  const parsed = state === undefined ? undefined : Memory.safeParse(state);
  return parsed?.success ? parsed.data : { step: idleStep, patientId: null, offeredAt: now.toISOString(), misses: 0, language: keptLanguage(state) };
}

export function saveMemory(memory: Memory): GuidedState {
  return { step: memory.step, patientId: memory.patientId, offeredAt: memory.offeredAt, misses: memory.misses, ...(memory.language ? { language: memory.language } : {}) };
}

/** The language the state kept (see Memory), read on its own: a state that does not parse may still say it. */
export function keptLanguage(state: GuidedState | undefined): Language | undefined {
  return state === undefined ? undefined : KeptLanguage.safeParse(state).data?.language;
}
const KeptLanguage = z.object({ language: z.enum(languages) });

/**
 * Whether the step's offer is too old to act on. Identity and questionnaire questions do not go
 * stale: a date of birth or an allergy means the same an hour later. Numbered options and yes/no questions do, because the free times or
 * the appointments behind them may have changed.
 */
export function isExpired(memory: Memory, now: Date): boolean {
  const step = memory.step;
  if (step.kind === 'idle' || step.kind.startsWith('ask_') || step.kind.startsWith('register_') || step.kind === 'intake_question') return false;
  if (step.kind === 'offer_confirm' && step.validUntil) return now.getTime() > Date.parse(step.validUntil);
  return now.getTime() - Date.parse(memory.offeredAt) > OPTIONS_VALID_MS;
}

/**
 * The state to store when the clinic itself asks the patient to confirm an appointment (a reminder):
 * a YES, C or "confirm" answered before `validUntil` (say, the appointment's start) confirms it, when
 * the conversation is verified as `patientId`, the appointment's patient (else the check comes first).
 */
export function awaitingConfirmation(options: { appointmentId: string; patientId: string; askedAt: Date; validUntil: Date }): GuidedState {
  return saveMemory({
    step: { kind: 'offer_confirm', appointmentId: options.appointmentId, validUntil: options.validUntil.toISOString() },
    patientId: options.patientId,
    offeredAt: options.askedAt.toISOString(),
    misses: 0,
  });
}
