import { defineOperation } from '../../tools/operation.js';
import { deleteRecord, upsertRecords } from './records.js';
import { reviewSession, submitSession } from './lifecycle.js';
import {
  CreateSessionInput,
  DeleteRecordInput,
  DeleteRecordOutput,
  GetSessionInput,
  GetSummaryInput,
  IntakeStatsInput,
  IntakeStatsOutput,
  ListSessionsInput,
  ListSessionsOutput,
  MAX_RECORDS_PER_CALL,
  MAX_RECORDS_PER_SESSION,
  SessionChangeInput,
  SessionDetail,
  SessionSummary,
  SessionView,
  SubmitSessionInput,
  UpdateSummaryInput,
  UpsertRecordsInput,
  UpsertRecordsOutput,
} from './schema.js';
import { createSession, getSession, getSummary, listSessions } from './sessions.js';
import { intakeStats } from './stats.js';
import { updateSummary } from './summary-edit.js';

const tag = 'intake';
const readOnly = { readOnly: true, destructive: false, idempotent: true };
/**
 * A patient's intake: staff, and the agent, which in a patient conversation reaches only the verified
 * patient's own, and offers these as tools to the model (guided mode asks the questionnaire itself).
 */
const patientIntake = { roles: ['staff', 'agent'], patientScoped: true, phi: true, patientFacing: true } as const;
/** Reviewing: staff only. */
const staffIntake = { roles: ['staff'], phi: true } as const;

export const intakeOperations = [
  defineOperation({
    name: 'create_intake_session',
    title: 'Open an intake',
    description:
      'Opens a clinical intake for a patient, optionally for one of their appointments. Staff need the patient’s care_messages consent on the channel (on all for a form). ' +
      'Add answers with upsert_intake_records, then submit_intake_session.',
    tag,
    input: CreateSessionInput,
    output: SessionView,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: patientIntake,
    http: { method: 'post', path: '/intake/sessions', status: 201 },
    run: (ctx, input) => createSession(ctx, input),
  }),
  defineOperation({
    name: 'get_intake_session',
    title: 'Get an intake',
    description: 'One intake session with its records (oldest first) and its summary (null until submitted).',
    tag,
    input: GetSessionInput,
    output: SessionDetail,
    annotations: readOnly,
    access: patientIntake,
    http: { method: 'get', path: '/intake/sessions/{id}' },
    run: (ctx, input) => getSession(ctx, input),
  }),
  defineOperation({
    name: 'list_intake_sessions',
    title: 'List intakes',
    description: 'Intake sessions, newest first, filtered by patient, status, appointment and creation time.',
    tag,
    input: ListSessionsInput,
    output: ListSessionsOutput,
    annotations: readOnly,
    access: patientIntake,
    http: { method: 'get', path: '/intake/sessions' },
    run: (ctx, input) => listSessions(ctx, input),
  }),
  defineOperation({
    name: 'upsert_intake_records',
    title: 'Add or change intake records',
    description:
      `Creates or replaces up to ${MAX_RECORDS_PER_CALL} records of an open session in one all-or-nothing call (a session holds at most ${MAX_RECORDS_PER_SESSION}). ` +
      'Each record has your clientItemId: sending it again replaces that record, and a batch sent again unchanged changes nothing. ' +
      'Kinds: chief_complaint, symptom, allergy, no_known_allergies, medication, no_medications, condition, family_history, social_history, note. ' +
      'Give rev to refuse the change (409) if the session changed since you read it.',
    tag,
    input: UpsertRecordsInput,
    output: UpsertRecordsOutput,
    annotations: { readOnly: false, destructive: false, idempotent: true },
    access: patientIntake,
    http: { method: 'put', path: '/intake/sessions/{id}/records' },
    run: (ctx, input) => upsertRecords(ctx, input),
  }),
  defineOperation({
    name: 'delete_intake_record',
    title: 'Delete an intake record',
    description: 'Deletes one record of an open session.',
    tag,
    input: DeleteRecordInput,
    output: DeleteRecordOutput,
    annotations: { readOnly: false, destructive: true, idempotent: false },
    access: patientIntake,
    http: { method: 'delete', path: '/intake/sessions/{id}/records/{recordId}' },
    run: (ctx, input) => deleteRecord(ctx, input),
  }),
  defineOperation({
    name: 'submit_intake_session',
    title: 'Submit an intake',
    description:
      'Submits an open session: it needs a chief complaint and an answer on allergies (allergy records or no_known_allergies) and on medications (medication records or no_medications); ' +
      '422 lists what is missing. The session becomes read-only and its summary is written.',
    tag,
    input: SubmitSessionInput,
    output: SessionView,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: patientIntake,
    http: { method: 'post', path: '/intake/sessions/{id}/submit' },
    run: (ctx, input) => submitSession(ctx, input),
  }),
  defineOperation({
    name: 'get_intake_summary',
    title: 'Get an intake summary',
    description: 'The summary of a submitted session: statements, each citing the records it comes from; pending while it is being written.',
    tag,
    input: GetSummaryInput,
    output: SessionSummary,
    annotations: readOnly,
    access: staffIntake,
    http: { method: 'get', path: '/intake/sessions/{id}/summary' },
    run: (ctx, input) => getSummary(ctx, input.id),
  }),
  defineOperation({
    name: 'update_intake_summary',
    title: 'Edit an intake summary',
    description: 'Replaces the statements of a submitted session’s summary. Cited record ids must be the session’s.',
    tag,
    input: UpdateSummaryInput,
    output: SessionSummary,
    annotations: { readOnly: false, destructive: false, idempotent: true },
    access: staffIntake,
    http: { method: 'put', path: '/intake/sessions/{id}/summary' },
    run: (ctx, input) => updateSummary(ctx, input),
  }),
  defineOperation({
    name: 'review_intake_session',
    title: 'Mark an intake reviewed',
    description: 'Marks a submitted session reviewed by the caller, once its summary is written. Final.',
    tag,
    input: SessionChangeInput,
    output: SessionView,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: staffIntake,
    http: { method: 'post', path: '/intake/sessions/{id}/review' },
    run: (ctx, input) => reviewSession(ctx, input),
  }),
  defineOperation({
    name: 'intake_stats',
    title: 'Intake statistics',
    description: 'Sessions by status, their records by kind, their summaries by state and source, optionally for sessions created in a range.',
    tag,
    input: IntakeStatsInput,
    output: IntakeStatsOutput,
    annotations: readOnly,
    access: { roles: ['staff'] },
    http: { method: 'get', path: '/intake/stats' },
    run: (ctx, input) => intakeStats(ctx, input),
  }),
];
