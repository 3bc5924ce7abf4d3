import type { MetadataStorage } from '@mikro-orm/core';
import { entityColumns, entityJson, perOrm } from '../../db/columns.js';
import type { Statement } from '../../db/statement.js';
import { Patient, PatientConsent, PatientIdentifier } from './entities.js';

/**
 * The patients module's reads that run on every call of a hot route, as single statements on the
 * pooled connections (src/db/sql.ts): select lists from the entities' metadata, the tenant in every
 * `where`.
 */

type Metadata = { getMetadata(): MetadataStorage };

export const PATIENT_PROPERTIES = [
  'id', 'tenantId', 'givenName', 'familyName', 'preferredName', 'dateOfBirth', 'sex', 'phone', 'email', 'address',
  'preferredLanguage', 'preferredChannel', 'status', 'mergedIntoId', 'deletedAt', 'createdAt', 'updatedAt',
] as const;
export type PatientRow = Pick<Patient, (typeof PATIENT_PROPERTIES)[number]>;
const IDENTIFIER_PROPERTIES = ['id', 'system', 'value'] as const;
const CONSENT_PROPERTIES = ['channel', 'purpose', 'status', 'recordedAt'] as const;

/** A patient's columns out of a subquery `m` of `patient` (a search's matches). */
export const matchColumns = perOrm((orm) => entityColumns(orm, Patient, { alias: 'm', prefix: '', properties: PATIENT_PROPERTIES }));

const columns = perOrm((orm) => ({
  patient: entityColumns(orm, Patient, { alias: 'p', prefix: '', properties: PATIENT_PROPERTIES }),
  identifier: entityJson(orm, PatientIdentifier, { alias: 'i', properties: IDENTIFIER_PROPERTIES }),
  consent: entityJson(orm, PatientConsent, { alias: 'c', properties: CONSENT_PROPERTIES }),
}));

/**
 * A patient with its identifiers (by system, value) and its consent history (newest first), in one query.
 */
export function patientWithDetails(orm: Metadata, at: { tenantId: string; patientId: string }): Statement {
  const { patient, identifier, consent } = columns(orm);
  return {
    sql: `select ${patient.sql},
        coalesce((select json_agg(${identifier.sql} order by i.system, i.value)
                    from patient_identifier i where i.tenant_id = p.tenant_id and i.patient_id = p.id), '[]') as identifiers,
        coalesce((select json_agg(${consent.sql} order by c.recorded_at desc, c.id desc)
                    from patient_consent c where c.tenant_id = p.tenant_id and c.patient_id = p.id), '[]') as consents
      from patient p where p.tenant_id = ? and p.id = ?`,
    params: [at.tenantId, at.patientId],
  };
}

export type PatientWithDetails = {
  patient: PatientRow;
  identifiers: Pick<PatientIdentifier, (typeof IDENTIFIER_PROPERTIES)[number]>[];
  consents: Pick<PatientConsent, (typeof CONSENT_PROPERTIES)[number]>[];
};

export function readPatientWithDetails(orm: Metadata, row: Record<string, unknown>): PatientWithDetails {
  const { patient, identifier, consent } = columns(orm);
  return {
    patient: patient.read(row),
    identifiers: (row.identifiers as Record<string, unknown>[]).map(identifier.read),
    consents: (row.consents as Record<string, unknown>[]).map(consent.read),
  };
}
