import type { z } from 'zod';
import type { AppContext } from '../../../context.js';
import { conflict } from '../../../errors.js';
import { lockUntilCommit } from '../../../db/locks.js';
import { recordEvent } from '../../../events.js';
import { newId } from '../../../ids.js';
import { Patient, PatientIdentifier } from '../entities.js';
import type { CreatePatientInput, DuplicateCandidate, PatientDetail } from '../schema.js';
import { duplicateCandidates, duplicateProbe, identifierOwners } from './duplicates.js';
import { identifierView, patientView } from './view.js';

const candidateDetails = (candidates: DuplicateCandidate[]) => ({ candidates });

/**
 * Registrations of people born on one day take turns until each commits: every duplicate candidate
 * shares the date of birth, so two registrations of one person cannot both pass the check.
 */
export const lockRegistrationsBornOn = (ctx: AppContext, dateOfBirth: string): Promise<void> =>
  lockUntilCommit(ctx.em, `patient-born:${ctx.tenant.id}:${dateOfBirth}`);

/**
 * Registers a patient. Refuses (409, with the candidates) when an active patient looks like the same
 * person, unless `allowDuplicate`; refuses always when an identifier is already in use (the
 * identifier's unique constraint is the judge there). Concurrent registrations of one person create
 * one record: the check runs under `lockRegistrationsBornOn`.
 */
export async function createPatient(ctx: AppContext, input: z.output<typeof CreatePatientInput>): Promise<PatientDetail> {
  const probe = duplicateProbe(ctx, input);
  const identifiers = probe.identifiers;
  await lockRegistrationsBornOn(ctx, probe.dateOfBirth);

  const owners = await identifierOwners(ctx, probe);
  if (owners.length > 0) {
    throw conflict('Another patient already has one of these identifiers; use that record (allowDuplicate does not override this).', candidateDetails(owners));
  }
  if (!input.allowDuplicate) {
    const candidates = await duplicateCandidates(ctx, probe);
    if (candidates.length > 0) {
      throw conflict(
        `${candidates.length} existing patient(s) may be the same person. Use an existing record, or, if this is someone else, resend with allowDuplicate: true.`,
        candidateDetails(candidates),
      );
    }
  }

  const now = ctx.clock.now();
  const patient = ctx.em.create(Patient, {
    id: newId(),
    tenantId: ctx.tenant.id,
    givenName: input.givenName,
    familyName: input.familyName,
    preferredName: input.preferredName ?? null,
    dateOfBirth: probe.dateOfBirth,
    sex: input.sex,
    phone: probe.phone,
    email: input.email ?? null,
    address: input.address ?? null,
    preferredLanguage: input.preferredLanguage ?? null,
    preferredChannel: input.preferredChannel ?? null,
    status: 'active',
    mergedIntoId: null,
    deletedAt: null,
    createdAt: now,
    updatedAt: now,
  });
  const identifierRows = identifiers.map((identifier) =>
    ctx.em.create(PatientIdentifier, { id: newId(), tenantId: ctx.tenant.id, patientId: patient.id, ...identifier, createdAt: now, updatedAt: now }),
  );
  // Field names only: the outbox is read widely, so no PHI goes into its payloads.
  recordEvent(ctx, {
    type: 'patient.created',
    entityType: 'patient',
    entityId: patient.id,
    payload: { identifierSystems: identifiers.map((identifier) => identifier.system), allowDuplicate: input.allowDuplicate },
  });
  return { ...patientView(patient), identifiers: identifierRows.map(identifierView), consents: [] };
}
