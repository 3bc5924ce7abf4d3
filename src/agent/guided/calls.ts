import type { z } from 'zod';
import { ListAppointmentsOutput, AppointmentView, SearchSlotsOutput } from '../../modules/appointments/appointment-schema.js';
import { ListLocationsOutput, ListPractitionersOutput } from '../../modules/appointments/schema.js';
import { ClinicInfoOutput, HandoffOutput, RegisterPatientOutput, VerifyIdentityOutput } from '../../modules/conversations/schema.js';
import { AppError, toAppError } from '../../errors.js';
import { SearchKnowledgeOutput } from '../../modules/vector/schema.js';
import { ListSessionsOutput, SessionDetail, SessionView, UpsertRecordsOutput } from '../../modules/intake/schema.js';
import type { RecordInput } from '../../modules/intake/record-data.js';
import type { ToolCaller } from '../../tools/ai-sdk.js';

/**
 * The operations guided mode uses, typed: each call goes through the runner like the model's, and its
 * output is read with the operation's own output schema (no casts, no second copy of any shape).
 */

export type Outcome<Value> = { ok: true; value: Value } | { ok: false; error: AppError };

/**
 * The caller is the boundary to the runner: the runner turns an operation's failures into outcomes,
 * but reading the conversation before it can still throw (the database gone). The patient gets a
 * reply about it rather than silence, so that too becomes a failed outcome.
 */
const thrown = (error: unknown): Awaited<ReturnType<ToolCaller>> => ({ ok: false, error: toAppError(error) });

async function invoke<Schema extends z.ZodType>(call: ToolCaller, tool: string, input: Record<string, unknown>, output: Schema): Promise<Outcome<z.output<Schema>>> {
  const outcome = await call(tool, input).catch(thrown);
  if (!outcome.ok) return outcome;
  const parsed = output.safeParse(outcome.output);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: new AppError('internal', `${tool} answered in an unexpected shape.`) };
}

export type Appointment = z.output<typeof AppointmentView>;
export type FreeSlot = z.output<typeof SearchSlotsOutput>['items'][number];

export const operations = (call: ToolCaller) => ({
  verifyIdentity: (input: { dateOfBirth: string; familyName?: string }) => invoke(call, 'verify_identity', input, VerifyIdentityOutput),
  registerPatient: (input: { givenName: string; familyName: string; dateOfBirth: string }) => invoke(call, 'register_patient', input, RegisterPatientOutput),
  handOff: (input: { reason: string; summary: string; urgent: boolean }) => invoke(call, 'handoff_to_staff', input, HandoffOutput),
  clinicInfo: () => invoke(call, 'get_clinic_info', {}, ClinicInfoOutput),
  listAppointments: (input: { from: string; status: string[]; limit: number }) => invoke(call, 'list_appointments', input, ListAppointmentsOutput),
  getAppointment: (id: string) => invoke(call, 'get_appointment', { id }, AppointmentView),
  confirmAppointment: (id: string) => invoke(call, 'confirm_appointment', { id }, AppointmentView),
  cancelAppointment: (input: { id: string; reason: string }) => invoke(call, 'cancel_appointment', input, AppointmentView),
  rescheduleAppointment: (input: { id: string; startAt: string; practitionerId: string }) => invoke(call, 'reschedule_appointment', input, AppointmentView),
  bookAppointment: (input: { practitionerId: string; startAt: string }) => invoke(call, 'book_appointment', input, AppointmentView),
  searchSlots: (input: { from: string; to: string; practitionerId?: string[]; specialty?: string; locationId?: string; limit: number }) =>
    invoke(call, 'search_slots', input, SearchSlotsOutput),
  listPractitioners: (input: { active?: boolean }) => invoke(call, 'list_practitioners', input, ListPractitionersOutput),
  listLocations: (input: { active?: boolean }) => invoke(call, 'list_locations', input, ListLocationsOutput),
  searchKnowledge: (input: { query: string; limit: number }) => invoke(call, 'search_knowledge', input, SearchKnowledgeOutput),
  openIntakes: () => invoke(call, 'list_intake_sessions', { status: ['open'], limit: 1 }, ListSessionsOutput),
  createIntake: () => invoke(call, 'create_intake_session', {}, SessionView),
  getIntake: (id: string) => invoke(call, 'get_intake_session', { id }, SessionDetail),
  addIntakeRecords: (input: { id: string; records: RecordInput[] }) => invoke(call, 'upsert_intake_records', input, UpsertRecordsOutput),
  submitIntake: (id: string) => invoke(call, 'submit_intake_session', { id }, SessionView),
});
export type Operations = ReturnType<typeof operations>;
