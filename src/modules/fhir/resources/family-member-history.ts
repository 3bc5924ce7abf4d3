import type { CodeableConcept, FamilyMemberHistory as FhirFamilyMemberHistory, FamilyMemberHistoryCondition } from '@medplum/fhirtypes';
import { toIso } from '../../../schema.js';
import type { IntakeRecordInSession } from '../entities.js';
import { dataOf, intakeRecordType, recordResource } from '../intake-records.js';
import { referenceTo } from '../references.js';

const ROLE_CODE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

/** v3 RoleCode of each relation as patients name it, by its display; a relation not here is text alone. */
const roleCodes: Record<string, [code: string, display: string]> = {
  mother: ['MTH', 'mother'],
  mom: ['MTH', 'mother'],
  mum: ['MTH', 'mother'],
  father: ['FTH', 'father'],
  dad: ['FTH', 'father'],
  parent: ['PRN', 'parent'],
  sister: ['SIS', 'sister'],
  brother: ['BRO', 'brother'],
  sibling: ['SIB', 'sibling'],
  'half sister': ['HSIS', 'half-sister'],
  'half brother': ['HBRO', 'half-brother'],
  twin: ['TWIN', 'twin'],
  'twin sister': ['TWINSIS', 'twin sister'],
  'twin brother': ['TWINBRO', 'twin brother'],
  daughter: ['DAUC', 'daughter'],
  son: ['SONC', 'son'],
  child: ['CHILD', 'child'],
  grandmother: ['GRMTH', 'grandmother'],
  grandfather: ['GRFTH', 'grandfather'],
  grandparent: ['GRPRN', 'grandparent'],
  'maternal grandmother': ['MGRMTH', 'maternal grandmother'],
  'maternal grandfather': ['MGRFTH', 'maternal grandfather'],
  'paternal grandmother': ['PGRMTH', 'paternal grandmother'],
  'paternal grandfather': ['PGRFTH', 'paternal grandfather'],
  aunt: ['AUNT', 'aunt'],
  uncle: ['UNCLE', 'uncle'],
  'maternal aunt': ['MAUNT', 'maternal aunt'],
  'maternal uncle': ['MUNCLE', 'maternal uncle'],
  'paternal aunt': ['PAUNT', 'paternal aunt'],
  'paternal uncle': ['PUNCLE', 'paternal uncle'],
  cousin: ['COUSN', 'cousin'],
  'maternal cousin': ['MCOUSN', 'maternal cousin'],
  'paternal cousin': ['PCOUSN', 'paternal cousin'],
  niece: ['NIECE', 'niece'],
  nephew: ['NEPHEW', 'nephew'],
  spouse: ['SPS', 'spouse'],
  husband: ['HUSB', 'husband'],
  wife: ['WIFE', 'wife'],
};

/** The relation in the patient's words as `text`, with its RoleCode when it is one of `roleCodes` (case, hyphens and spacing aside). */
export function relationship(relation: string): CodeableConcept {
  const role = roleCodes[relation.toLowerCase().replace(/[-_\s]+/g, ' ').trim()];
  return role ? { coding: [{ system: ROLE_CODE, code: role[0], display: role[1] }], text: relation } : { text: relation };
}

/**
 * The age it began at as an Age in years; FHIR's Age is above 0, so an age of 0 (in whole years) is
 * said in words.
 */
function onset(ageAtOnset: number | undefined): Pick<FamilyMemberHistoryCondition, 'onsetAge' | 'onsetString'> {
  if (ageAtOnset === undefined) return {};
  if (ageAtOnset === 0) return { onsetString: 'before the age of 1' };
  return { onsetAge: { value: ageAtOnset, unit: 'a', system: 'http://unitsofmeasure.org', code: 'a' } };
}

/**
 * A relative's condition as the patient reported it: `completed` (the record is what there is), the
 * relation as `relationship` (v3 RoleCode where it maps, the patient's words as text), the condition
 * as text with its age at onset, `date` when it was recorded.
 */
export function familyMemberHistoryResource(row: IntakeRecordInSession): FhirFamilyMemberHistory {
  const history = dataOf(row, 'family_history');
  return {
    ...recordResource('FamilyMemberHistory', row),
    status: 'completed',
    patient: referenceTo('Patient', row.patientId),
    date: toIso(row.createdAt),
    relationship: relationship(history.relation),
    condition: [{ code: { text: history.condition }, ...onset(history.ageAtOnset) }],
  };
}

export const familyMemberHistoryType = intakeRecordType({
  type: 'FamilyMemberHistory',
  kinds: ['family_history'],
  patientDocumentation: 'The patient whose relative it is about, as reported in a submitted intake.',
  toResource: familyMemberHistoryResource,
});
