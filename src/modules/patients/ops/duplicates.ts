import type { z } from 'zod';
import type { AppContext } from '../../../context.js';
import { PatientIdentifier, Patient } from '../entities.js';
import type { DuplicateCandidate, FindDuplicatesInput } from '../schema.js';
import { checkDateOfBirth, checkIdentifiers, normalizePhone } from './normalize.js';

/** What a would-be patient is compared on, already normalized. */
export type DuplicateProbe = {
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  phone: string | null;
  identifiers: readonly { system: string; value: string }[];
};

/** How close a name must be (pg_trgm similarity, 0-1) to count, with the same date of birth. */
const NAME_SIMILARITY = 0.5;

type CandidateRow = { id: string; given_name: string; family_name: string; date_of_birth: string; phone: string | null; same_phone: boolean };

/**
 * Patients who already use one of the identifiers: any status, since the unique constraint counts
 * deleted records too. Creating such a patient is refused whatever `allowDuplicate` says.
 */
export async function identifierOwners(ctx: AppContext, probe: Pick<DuplicateProbe, 'identifiers'>): Promise<DuplicateCandidate[]> {
  if (probe.identifiers.length === 0) return [];
  const used = await ctx.em.find(PatientIdentifier, { $or: probe.identifiers.map(({ system, value }) => ({ system, value })) });
  if (used.length === 0) return [];
  const owners = await ctx.em.find(Patient, { id: { $in: [...new Set(used.map((identifier) => identifier.patientId))] } });
  return owners.map((patient) => ({
    id: patient.id,
    name: `${patient.givenName} ${patient.familyName}`,
    dateOfBirth: patient.dateOfBirth,
    phone: patient.phone ?? null,
    reason: 'same_identifier' as const,
  }));
}

/**
 * Active patients who may be the same person: same date of birth and either the same phone or a
 * close name. Raw SQL for pg_trgm's similarity(), so the tenant is named here explicitly; the date
 * of birth index narrows the rows before any similarity is computed.
 */
export async function similarPatients(ctx: AppContext, probe: DuplicateProbe): Promise<DuplicateCandidate[]> {
  const name = `${probe.givenName} ${probe.familyName}`.toLowerCase();
  const rows = await ctx.em.execute<CandidateRow[]>(
    `select id, given_name, family_name, date_of_birth::text as date_of_birth, phone,
            coalesce(phone = ?, false) as same_phone
       from patient
      where tenant_id = ? and status = 'active' and date_of_birth = ?
        and (phone = ? or similarity(search_name, ?) > ?)
      order by coalesce(phone = ?, false) desc, similarity(search_name, ?) desc, id
      limit 20`,
    [probe.phone, ctx.tenant.id, probe.dateOfBirth, probe.phone, name, NAME_SIMILARITY, probe.phone, name],
  );
  return rows.map((row) => ({
    id: row.id,
    name: `${row.given_name} ${row.family_name}`,
    dateOfBirth: row.date_of_birth,
    phone: row.phone,
    reason: row.same_phone ? 'same_phone_and_date_of_birth' : 'similar_name_and_date_of_birth',
  }));
}

/** Every candidate, identifier owners first; a patient is listed once, under its strongest reason. */
export async function duplicateCandidates(ctx: AppContext, probe: DuplicateProbe): Promise<DuplicateCandidate[]> {
  const candidates = [...(await identifierOwners(ctx, probe)), ...(await similarPatients(ctx, probe))];
  const seen = new Set<string>();
  return candidates.filter((candidate) => !seen.has(candidate.id) && seen.add(candidate.id));
}

/** Would-be patient details, checked and normalized for comparison (400 naming the field if wrong). */
export function duplicateProbe(ctx: AppContext, input: z.output<typeof FindDuplicatesInput>): DuplicateProbe {
  const identifiers = input.identifiers ?? [];
  checkIdentifiers(identifiers);
  return {
    givenName: input.givenName,
    familyName: input.familyName,
    dateOfBirth: checkDateOfBirth(ctx, input.dateOfBirth),
    phone: input.phone ? normalizePhone(ctx, input.phone) : null,
    identifiers,
  };
}

/** The patients a new record with these details might duplicate; creates nothing. */
export async function findPatientDuplicates(ctx: AppContext, input: z.output<typeof FindDuplicatesInput>) {
  return { candidates: await duplicateCandidates(ctx, duplicateProbe(ctx, input)) };
}
