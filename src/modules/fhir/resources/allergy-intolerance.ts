import type { AllergyIntolerance as FhirAllergyIntolerance } from '@medplum/fhirtypes';
import { toIso } from '../../../schema.js';
import type { IntakeRecordInSession } from '../entities.js';
import { codeOf, dataOf, intakeRecordType, noKnownAllergy, notes, recordResource } from '../intake-records.js';
import { referenceTo } from '../references.js';

const active = codeOf('http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', 'active', 'Active');
/** What the patient says, not confirmed by a clinician. */
const unconfirmed = codeOf('http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', 'unconfirmed', 'Unconfirmed');

/**
 * An allergy the patient reported (or their "no known allergies", as the SNOMED situation
 * 716186003): active and unconfirmed, the patient as asserter; the substance as `code.text`, the
 * reaction as a manifestation's text with its severity. FHIR has no unknown severity (left out), and
 * no reaction without a manifestation: a severity given without a reaction is a note.
 */
export function allergyIntoleranceResource(row: IntakeRecordInSession): FhirAllergyIntolerance {
  const patient = referenceTo('Patient', row.patientId);
  const common: FhirAllergyIntolerance = {
    ...recordResource('AllergyIntolerance', row),
    clinicalStatus: active,
    verificationStatus: unconfirmed,
    patient,
    recordedDate: toIso(row.createdAt),
    asserter: patient,
  };
  if (row.kind === 'no_known_allergies') return { ...common, code: { coding: [noKnownAllergy], text: 'No known allergies' } };
  const allergy = dataOf(row, 'allergy');
  const severity = allergy.severity === 'unknown' ? undefined : allergy.severity;
  return {
    ...common,
    code: { text: allergy.substance },
    ...(allergy.reaction ? { reaction: [{ manifestation: [{ text: allergy.reaction }], ...(severity ? { severity } : {}) }] } : {}),
    ...notes(severity && !allergy.reaction ? `Reaction severity: ${severity}` : undefined),
  };
}

export const allergyIntoleranceType = intakeRecordType({
  type: 'AllergyIntolerance',
  kinds: ['allergy', 'no_known_allergies'],
  patientDocumentation: 'The patient who reported it in a submitted intake.',
  toResource: allergyIntoleranceResource,
});
