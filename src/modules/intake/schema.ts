import { z } from 'zod';
import { pageInput, pageOutput } from '../../db/pagination.js';
import { Id, InstantInput, Timestamp } from '../../schema.js';
import { intakeChannels, intakeStatuses, recordKinds, summarySources, summaryStates } from './entities.js';
import { RecordInput, RecordView } from './record-data.js';

/** Records one upsert takes at most; a larger batch is refused whole (400 naming `records`). */
export const MAX_RECORDS_PER_CALL = 5000;
/** Records one session holds at most; an upsert that would pass it is refused whole (422). */
export const MAX_RECORDS_PER_SESSION = 5000;
/** Statements a summary holds at most. */
export const MAX_SUMMARY_STATEMENTS = 200;

const Status = z.enum(intakeStatuses).describe('open (taking records), submitted (read-only, summarized) or reviewed (by staff).');
const Channel = z.enum(intakeChannels).describe('whatsapp, sms, voice or email.');
const SessionId = Id.describe('The intake session id.');
const Rev = z
  .number()
  .int()
  .min(0)
  .describe('The session’s rev as you last read it: the change is refused with 409 if the session changed since. Omit to change it whatever its rev.');
const OwnerGuard = Id.optional().describe(
  'Optional guard: the session must belong to this patient, else it is reported as not found. Set automatically in a patient conversation.',
);
const Actor = z.object({ kind: z.string(), id: z.string() });

export const SessionView = z.object({
  id: Id,
  patientId: Id,
  appointmentId: Id.nullable(),
  conversationId: Id.nullable(),
  channel: Channel.nullable(),
  status: Status,
  rev: z.number().int().describe('Goes up by one with every change of the session, its records or its summary.'),
  recordCount: z.number().int(),
  createdBy: Actor,
  submittedAt: Timestamp.nullable(),
  reviewedAt: Timestamp.nullable(),
  reviewedBy: z.string().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type SessionView = z.infer<typeof SessionView>;

export const StatementInput = z.strictObject({
  text: z.string().trim().min(1).max(2000).describe('One statement about the patient.'),
  recordIds: z.array(Id).max(200).describe('The records it is taken from (ids of this session’s records).'),
});

export const SummaryView = z.object({
  sessionId: Id,
  state: z.enum(summaryStates).describe('pending (being written), written (by the model or from the records) or edited (by staff).'),
  source: z.enum(summarySources).nullable().describe('model (the language model) or records (built from the records without a model); null while pending.'),
  model: z.string().nullable(),
  statements: z.array(z.object({ text: z.string(), recordIds: z.array(Id) })),
  droppedStatements: z.number().int().describe('Statements of the model left out because they cited no record of the session.'),
  fallbackReason: z.string().nullable().describe('Why a configured model was not used.'),
  generatedAt: Timestamp.nullable(),
  editedAt: Timestamp.nullable(),
  editedBy: z.string().nullable(),
});
export type SummaryView = z.infer<typeof SummaryView>;

/** A summary with the rev of its session, for the next change (edit, review). */
export const SessionSummary = SummaryView.extend({ sessionRev: z.number().int().describe('The session’s rev now.') });

export const SessionDetail = SessionView.extend({
  records: z.array(RecordView).describe('Oldest first.'),
  summary: SummaryView.nullable().describe('Null until the session is submitted.'),
});

export const CreateSessionInput = z.strictObject({
  patientId: Id.describe('The patient the intake is about.'),
  appointmentId: Id.optional().describe('The appointment it prepares: the same patient’s, not cancelled.'),
  channel: Channel.optional().describe(
    'Where the patient answers. Staff need the patient’s care_messages consent on it (or on all); omit for a form, which needs consent on all. In a conversation, its channel.',
  ),
});

export const GetSessionInput = z.strictObject({ id: SessionId, patientId: OwnerGuard });

export const ListSessionsInput = z.strictObject({
  patientId: Id.optional().describe('Only this patient’s sessions.'),
  status: z.array(Status).min(1).max(3).optional().describe('Only these statuses (repeat the key or separate with commas).'),
  appointmentId: Id.optional().describe('Only sessions for this appointment.'),
  createdSince: InstantInput.optional().describe('Created at or after this instant.'),
  createdUntil: InstantInput.optional().describe('Created before this instant.'),
  ...pageInput,
});
export const ListSessionsOutput = pageOutput(SessionView).describe('Newest first.');

export const UpsertRecordsInput = z.strictObject({
  id: SessionId,
  rev: Rev.optional(),
  records: z
    .array(RecordInput)
    .min(1)
    .max(MAX_RECORDS_PER_CALL)
    .superRefine((records, context) => {
      const first = new Map<string, number>();
      records.forEach((record, index) => {
        const earlier = first.get(record.clientItemId);
        if (earlier === undefined) first.set(record.clientItemId, index);
        else context.addIssue({ code: 'custom', path: [index, 'clientItemId'], message: `"${record.clientItemId}" is already records.${earlier}: one record per clientItemId` });
      });
    })
    .describe(`1 to ${MAX_RECORDS_PER_CALL} records, each created or, when its clientItemId is known, replaced. All or nothing.`),
  patientId: OwnerGuard,
});

export const UpsertRecordsOutput = z.object({
  session: SessionView,
  changed: z.boolean().describe('false when every record was already as sent: nothing was written and rev did not move.'),
  records: z.array(
    z.object({
      clientItemId: z.string(),
      id: Id,
      outcome: z.enum(['created', 'updated', 'unchanged']),
    }),
  ),
});

export const DeleteRecordInput = z.strictObject({
  id: SessionId,
  recordId: Id.describe('The record id.'),
  rev: Rev.optional(),
  patientId: OwnerGuard,
});

export const DeleteRecordOutput = z.object({ session: SessionView, deletedRecordId: Id });

export const SubmitSessionInput = z.strictObject({ id: SessionId, rev: Rev.optional(), patientId: OwnerGuard });

export const SessionChangeInput = z.strictObject({ id: SessionId, rev: Rev.optional() });

export const GetSummaryInput = z.strictObject({ id: SessionId });

export const UpdateSummaryInput = z.strictObject({
  id: SessionId,
  rev: Rev.optional(),
  statements: z.array(StatementInput).max(MAX_SUMMARY_STATEMENTS).describe('The whole summary as it should read; replaces the statements.'),
});

export const IntakeStatsInput = z.strictObject({
  createdSince: InstantInput.optional().describe('Sessions created at or after this instant.'),
  createdUntil: InstantInput.optional().describe('Sessions created before this instant.'),
});

const counts = <Key extends string>(keys: readonly [Key, ...Key[]]) => z.object(Object.fromEntries(keys.map((key) => [key, z.number().int()])) as Record<Key, z.ZodNumber>);

export const IntakeStatsOutput = z.object({
  total: z.number().int(),
  byStatus: counts(intakeStatuses),
  recordsByKind: counts(recordKinds),
  summariesByState: counts(summaryStates),
  summariesBySource: counts(summarySources),
  averageRecordsPerSession: z.number(),
});
