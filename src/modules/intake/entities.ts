import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter, tenantOwnedProperties } from '../../db/base.js';

export const intakeStatuses = ['open', 'submitted', 'reviewed'] as const;
export type IntakeStatus = (typeof intakeStatuses)[number];

/** The channels a patient may answer an intake on (the consent channels, `all` aside). */
export const intakeChannels = ['whatsapp', 'sms', 'voice', 'email'] as const;
export type IntakeChannel = (typeof intakeChannels)[number];

/**
 * What a record is. `no_known_allergies` and `no_medications` are answers in their own right: a
 * session without any allergy record was not asked, one with `no_known_allergies` was asked.
 */
export const recordKinds = [
  'chief_complaint',
  'symptom',
  'allergy',
  'no_known_allergies',
  'medication',
  'no_medications',
  'condition',
  'family_history',
  'social_history',
  'note',
] as const;
export type RecordKind = (typeof recordKinds)[number];

export const summaryStates = ['pending', 'written', 'edited'] as const;
export type SummaryState = (typeof summaryStates)[number];
export const summarySources = ['model', 'records'] as const;
export type SummarySource = (typeof summarySources)[number];

/** One statement of a summary, with the ids of the records it comes from. */
export type SummaryStatement = { text: string; recordIds: string[] };

/**
 * A patient's intake: `open` while records are added, `submitted` (read-only, summarized by a job),
 * then `reviewed` by staff. `rev` goes up by one with every change of the session, its records or its
 * summary, so a client that read rev N can say "only if nothing changed since".
 */
export const IntakeSession = defineEntity({
  name: 'IntakeSession',
  tableName: 'intake_session',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    patientId: p.uuid(),
    appointmentId: p.uuid().nullable(),
    /** The conversation it was opened in, when the agent opened it. */
    conversationId: p.uuid().nullable(),
    /** Where the patient answers; null for a form (at the desk, a portal). */
    channel: p.enum([...intakeChannels]).nullable(),
    status: p.enum([...intakeStatuses]),
    rev: p.integer(),
    /** Kept with each change, so the per-session limit needs no count. */
    recordCount: p.integer(),
    createdByKind: p.string(),
    createdById: p.string(),
    submittedAt: p.datetime().nullable(),
    reviewedAt: p.datetime().nullable(),
    reviewedById: p.string().nullable(),
  },
});
export type IntakeSession = InferEntity<typeof IntakeSession>;

/** One answer of a session; `clientItemId` is the sender's name for it, unique in the session. */
export const IntakeRecord = defineEntity({
  name: 'IntakeRecord',
  tableName: 'intake_record',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    sessionId: p.uuid(),
    clientItemId: p.string(),
    kind: p.enum([...recordKinds]),
    data: p.json<Record<string, unknown>>(),
  },
});
export type IntakeRecord = InferEntity<typeof IntakeRecord>;

/** A submitted session's summary: `pending` until the job writes it, `edited` once staff changed it. */
export const IntakeSummary = defineEntity({
  name: 'IntakeSummary',
  tableName: 'intake_summary',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    sessionId: p.uuid(),
    state: p.enum([...summaryStates]),
    /** Who wrote the first version: the language model, or the service from the records alone. */
    source: p.enum([...summarySources]).nullable(),
    model: p.string().nullable(),
    statements: p.json<SummaryStatement[]>(),
    /** The model's statements left out for citing no record of the session. */
    droppedStatements: p.integer(),
    /** Why the records were summarized without the model although one is configured. */
    fallbackReason: p.text().nullable(),
    generatedAt: p.datetime().nullable(),
    editedAt: p.datetime().nullable(),
    editedById: p.string().nullable(),
  },
});
export type IntakeSummary = InferEntity<typeof IntakeSummary>;
