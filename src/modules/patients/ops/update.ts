import type { z } from 'zod';
import type { AppContext } from '../../../context.js';
import { invalid } from '../../../errors.js';
import { recordEvent } from '../../../events.js';
import { requireActivePatient } from '../lookup.js';
import type { PatientDetail, UpdatePatientInput } from '../schema.js';
import { patientDetail } from './get.js';
import { checkDateOfBirth, normalizePhone } from './normalize.js';

/** Changes the demographic fields given; null clears an optional one. Phone and email are normalized. */
export async function updatePatient(ctx: AppContext, input: z.output<typeof UpdatePatientInput>): Promise<PatientDetail> {
  const { id, ...changes } = input;
  const fields = Object.keys(changes).filter((key) => changes[key as keyof typeof changes] !== undefined);
  if (fields.length === 0) throw invalid('Give at least one field to change.', [{ path: '(input)', message: 'no changes' }]);
  // Validate everything before touching the entity: a refusal must leave nothing half-changed.
  const phone = changes.phone === undefined ? undefined : changes.phone === null ? null : normalizePhone(ctx, changes.phone);
  if (changes.dateOfBirth !== undefined) checkDateOfBirth(ctx, changes.dateOfBirth);

  const patient = await requireActivePatient(ctx, id);
  if (changes.givenName !== undefined) patient.givenName = changes.givenName;
  if (changes.familyName !== undefined) patient.familyName = changes.familyName;
  if (changes.preferredName !== undefined) patient.preferredName = changes.preferredName;
  if (changes.dateOfBirth !== undefined) patient.dateOfBirth = changes.dateOfBirth;
  if (changes.sex !== undefined) patient.sex = changes.sex;
  if (phone !== undefined) patient.phone = phone;
  if (changes.email !== undefined) patient.email = changes.email;
  if (changes.address !== undefined) patient.address = changes.address;
  if (changes.preferredLanguage !== undefined) patient.preferredLanguage = changes.preferredLanguage;
  if (changes.preferredChannel !== undefined) patient.preferredChannel = changes.preferredChannel;
  patient.updatedAt = ctx.clock.now();
  // Field names only: no PHI in the outbox.
  recordEvent(ctx, { type: 'patient.updated', entityType: 'patient', entityId: patient.id, payload: { fields } });
  return patientDetail(ctx, patient.id);
}
