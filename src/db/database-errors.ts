import { AppError, conflict, invalid } from '../errors.js';

/**
 * Messages for the constraints a caller can run into. The database is the judge (two concurrent
 * bookings, a duplicate identifier); this table only says what its verdict means to a caller.
 */
const constraintMessages: Record<string, string> = {
  appointment_no_overlap: 'That time is no longer free for this practitioner. Search the free slots again.',
  appointment_patient_no_overlap: 'The patient already has an appointment at that time.',
  patient_identifier_unique: 'Another patient already has this identifier.',
  tool_run_idempotency_unique: 'A call with this idempotency key is already recorded.',
  tenant_slug_unique: 'A tenant with this slug already exists.',
  // A number routes inbound webhooks to one clinic: which one has it is not said.
  twilio_number_taken: 'This Twilio number is already used by another clinic.',
  twilio_account_phone_unique: 'This Twilio number is already used by another clinic.',
  twilio_account_whatsapp_unique: 'This Twilio number is already used by another clinic.',
};

type PostgresError = { code?: string; constraint?: string; detail?: string };

function postgresFields(error: unknown): PostgresError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (!code) return undefined;
  const constraint = 'constraint' in error && typeof error.constraint === 'string' ? error.constraint : undefined;
  return { code, constraint };
}

/** Maps a database error a caller caused (conflict, bad reference, a lost race) to an AppError; others pass through. */
export function fromDatabaseError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const fields = postgresFields(error);
  if (!fields) return error;
  const known = fields.constraint ? constraintMessages[fields.constraint] : undefined;
  switch (fields.code) {
    case '23505': // unique_violation
    case '23P01': // exclusion_violation
      return conflict(known ?? 'This would duplicate an existing record.', fields.constraint ? { constraint: fields.constraint } : undefined);
    case '40P01': // deadlock_detected
    case '40001': // serialization_failure
      return conflict('Another change to the same records happened at the same moment. Try again.');
    case '23503': // foreign_key_violation
      return invalid(known ?? 'A referenced record does not exist.');
    default:
      return error;
  }
}

/**
 * True when the database gave up on a transaction only because of another one running at the same
 * time (a deadlock, a serialization failure): the same work run again can succeed.
 */
export function isTransientConflict(error: unknown): boolean {
  const code = postgresFields(error)?.code;
  return code === '40P01' || code === '40001';
}

/** True when the error is the unique violation of the named constraint. */
export function isConstraintViolation(error: unknown, constraint: string): boolean {
  const fields = postgresFields(error);
  return fields?.code === '23505' && fields.constraint === constraint;
}
