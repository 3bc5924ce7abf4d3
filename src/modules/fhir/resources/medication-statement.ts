import type { MedicationStatement as FhirMedicationStatement } from '@medplum/fhirtypes';
import { toIso } from '../../../schema.js';
import type { IntakeRecordInSession } from '../entities.js';
import { dataOf, intakeRecordType, noKnownMedications, notes, recordResource } from '../intake-records.js';
import { referenceTo } from '../references.js';

/**
 * A medication the patient says they take: `active`, the name as `medicationCodeableConcept.text`,
 * dose and frequency as the dosage's text, the patient as `informationSource`. "No medications" is
 * one statement, `active`, of the SNOMED situation 787481004 "No known medications" (as the IPS does
 * it): `not-taken` says a named medicine is not taken, and a "none" has no medicine to name.
 */
export function medicationStatementResource(row: IntakeRecordInSession): FhirMedicationStatement {
  const patient = referenceTo('Patient', row.patientId);
  const common: FhirMedicationStatement = {
    ...recordResource('MedicationStatement', row),
    status: 'active',
    subject: patient,
    dateAsserted: toIso(row.createdAt),
    informationSource: patient,
  };
  if (row.kind === 'no_medications') return { ...common, medicationCodeableConcept: { coding: [noKnownMedications], text: 'No medications' } };
  const medication = dataOf(row, 'medication');
  const dosage = [medication.dose, medication.frequency].filter((text): text is string => Boolean(text)).join(', ');
  return {
    ...common,
    medicationCodeableConcept: { text: medication.name },
    ...(dosage ? { dosage: [{ text: dosage }] } : {}),
    ...notes(medication.notes),
  };
}

export const medicationStatementType = intakeRecordType({
  type: 'MedicationStatement',
  kinds: ['medication', 'no_medications'],
  patientDocumentation: 'The patient who reported it in a submitted intake.',
  toResource: medicationStatementResource,
});
