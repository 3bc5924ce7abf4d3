import { LockMode } from '@mikro-orm/core';
import type { z } from 'zod';
import type { AppContext } from '../../../context.js';
import { notFound, unprocessable } from '../../../errors.js';
import { lockUntilCommit } from '../../../db/locks.js';
import { recordEvent } from '../../../events.js';
import { Patient } from '../entities.js';
import type { MergePatientsInput } from '../schema.js';
import { patientDetail } from './get.js';

/** Optional fields a merge copies from the source when the target has none. */
const fillableFields = ['preferredName', 'phone', 'email', 'address', 'preferredLanguage', 'preferredChannel'] as const;

/** Copies to `target` the fillable fields it lacks and `source` has; returns their names. */
function fillEmptyFields(target: Patient, source: Patient): string[] {
  const filled: string[] = [];
  const fill = <Field extends (typeof fillableFields)[number]>(field: Field) => {
    if (target[field] == null && source[field] != null) {
      target[field] = source[field];
      filled.push(field);
    }
  };
  fillableFields.forEach(fill);
  return filled;
}

function requireMergeable(patient: Patient | undefined, id: string, role: 'target' | 'source'): Patient {
  if (!patient) throw notFound('Patient', id);
  if (patient.status !== 'active') {
    const where = patient.status === 'merged' ? ` (it was merged into ${patient.mergedIntoId})` : '';
    throw unprocessable(`The ${role} patient ${id} is ${patient.status}${where}; only active patients can be merged.`, {
      [`${role}Status`]: patient.status,
    });
  }
  return patient;
}

/** Moves `table`'s rows of the source to the target; returns how many moved. */
async function moveRows(ctx: AppContext, table: 'appointment' | 'ticket' | 'patient_identifier' | 'patient_consent' | 'conversation' | 'media' | 'intake_session', from: string, to: string): Promise<number> {
  const result = await ctx.em.execute<{ affectedRows: number }>(
    `update ${table} set patient_id = ?, updated_at = ? where tenant_id = ? and patient_id = ?`,
    [to, ctx.clock.now(), ctx.tenant.id, from],
    'run',
  );
  return result.affectedRows;
}

/**
 * Merges a duplicate (the source) into the patient kept (the target), in the caller's transaction:
 * appointments, tickets, conversations, media, intake sessions, identifiers and consent history move to the target, empty optional fields
 * of the target are filled from the source, and the source is marked merged. Consent rows keep their
 * times, so the latest choice across both records is the current one. Overlapping active
 * appointments of the two are refused by the database (409) and nothing changes.
 */
export async function mergePatients(ctx: AppContext, input: z.output<typeof MergePatientsInput>) {
  if (input.id === input.sourcePatientId) {
    throw unprocessable('A patient cannot be merged into itself; give the duplicate as sourcePatientId.');
  }
  // One merge of the clinic at a time: a merge rewrites rows of other patients (those merged into the
  // source before), so crossing merges would otherwise lock rows in orders that deadlock, and one
  // refused as a conflict could leave two survivors. Merges are rare; waiting costs nothing.
  await lockUntilCommit(ctx.em, `patient-merge:${ctx.tenant.id}`);
  // Both rows, locked against a concurrent update or delete, in id order.
  const locked = await ctx.em.find(Patient, { id: { $in: [input.id, input.sourcePatientId] } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
  const target = requireMergeable(locked.find((patient) => patient.id === input.id), input.id, 'target');
  const source = requireMergeable(locked.find((patient) => patient.id === input.sourcePatientId), input.sourcePatientId, 'source');

  const moved = {
    appointments: await moveRows(ctx, 'appointment', source.id, target.id),
    tickets: await moveRows(ctx, 'ticket', source.id, target.id),
    identifiers: await moveRows(ctx, 'patient_identifier', source.id, target.id),
    consents: await moveRows(ctx, 'patient_consent', source.id, target.id),
    conversations: await moveRows(ctx, 'conversation', source.id, target.id),
    media: await moveRows(ctx, 'media', source.id, target.id),
    intakeSessions: await moveRows(ctx, 'intake_session', source.id, target.id),
  };
  // Records merged into the source earlier now point at the target directly: one hop, always.
  await ctx.em.execute(
    `update patient set merged_into_id = ?, updated_at = ? where tenant_id = ? and merged_into_id = ?`,
    [target.id, ctx.clock.now(), ctx.tenant.id, source.id],
    'run',
  );

  const filledFields = fillEmptyFields(target, source);
  const now = ctx.clock.now();
  target.updatedAt = now;
  source.status = 'merged';
  source.mergedIntoId = target.id;
  source.updatedAt = now;
  recordEvent(ctx, { type: 'patient.merged', entityType: 'patient', entityId: target.id, payload: { sourcePatientId: source.id, moved, filledFields } });
  return { patient: await patientDetail(ctx, target.id), mergedPatientId: source.id, moved, filledFields };
}
