import type { CodeableConcept, Coding, Meta, Resource, ResourceType } from '@medplum/fhirtypes';
import { toIso } from '../../schema.js';
import type { IntakeStatus, RecordKind } from '../intake/entities.js';
import type { RecordDataOf } from '../intake/record-data.js';
import { IntakeRecordInSession } from './entities.js';
import { defineFhirType, type FhirType, type SearchParameter } from './resource-type.js';
import { referenceParameter } from './search-parameters.js';

/**
 * What the types made of intake records (AllergyIntolerance, MedicationStatement, Condition,
 * FamilyMemberHistory) share: which records are exported, the patient parameter, the codes.
 */

/**
 * The sessions whose records are exported. An open session is a draft the patient is still
 * answering (records change and go), so its records are only in its in-progress QuestionnaireResponse.
 */
export const exportedStatuses: readonly IntakeStatus[] = ['submitted', 'reviewed'];

export const SNOMED = 'http://snomed.info/sct';
const DATA_ABSENT_REASON = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';

export const snomed = (code: string, display: string): Coding => ({ system: SNOMED, code, display });

/** "No known allergy" and "No known medications": the SNOMED situations the IPS uses for an explicit none. */
export const noKnownAllergy = snomed('716186003', 'No known allergy');
export const noKnownMedications = snomed('787481004', 'No known medications');

/** A patient's "unknown" (an allergy's severity, a condition's status) as a code. */
export const unknownCoding: Coding = { system: DATA_ABSENT_REASON, code: 'unknown', display: 'Unknown' };

export const codeOf = (system: string, code: string, display: string): CodeableConcept => ({ coding: [{ system, code, display }] });

/** A condition's status as the patient gave it, in condition-clinical where it is one. */
export const conditionClinicalCodes: Record<'active' | 'resolved', Coding> = {
  active: { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active', display: 'Active' },
  resolved: { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved', display: 'Resolved' },
};

/** The record's data, typed by its kind (checked when it was stored). */
export function dataOf<Kind extends RecordKind>(row: Pick<IntakeRecordInSession, 'id' | 'kind' | 'data'>, kind: Kind): RecordDataOf<Kind> {
  if (row.kind !== kind) throw new Error(`Intake record ${row.id} is ${row.kind}, not ${kind}`);
  return row.data as RecordDataOf<Kind>;
}

/** What a resource made of a record starts with: its type, the record's id, and as `meta` its session's last change (see IntakeRecordInSession). */
export const recordResource = <Type extends ResourceType>(resourceType: Type, row: IntakeRecordInSession): { resourceType: Type; id: string; meta: Meta } => ({
  resourceType,
  id: row.id,
  meta: { lastUpdated: toIso(row.updatedAt) },
});

/** Free texts of a record as FHIR `note`s, when there are any. */
export function notes(...texts: (string | undefined)[]): { note?: { text: string }[] } {
  const given = texts.filter((text): text is string => Boolean(text));
  return given.length > 0 ? { note: given.map((text) => ({ text })) } : {};
}

/**
 * A resource type made of the intake records of `kinds` of submitted and reviewed sessions, one
 * resource per record with the record's id, searchable by `patient` (the session's) and `parameters`.
 */
export function intakeRecordType(definition: {
  type: ResourceType;
  kinds: readonly RecordKind[];
  patientDocumentation: string;
  parameters?: Record<string, SearchParameter>;
  toResource(row: IntakeRecordInSession): Resource;
}): FhirType {
  return defineFhirType<IntakeRecordInSession>({
    type: definition.type,
    entity: IntakeRecordInSession,
    visible: { kind: { $in: [...definition.kinds] }, sessionStatus: { $in: [...exportedStatuses] } },
    patientParameter: 'patient',
    parameters: {
      patient: referenceParameter({ documentation: definition.patientDocumentation, targets: { Patient: 'patientId' } }),
      ...definition.parameters,
    },
    toResources: async (_ctx, rows) => rows.map(definition.toResource),
  });
}
