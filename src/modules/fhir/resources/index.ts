import type { FhirType } from '../resource-type.js';
import { allergyIntoleranceType } from './allergy-intolerance.js';
import { appointmentType } from './appointment.js';
import { communicationType } from './communication.js';
import { conditionType } from './condition.js';
import { familyMemberHistoryType } from './family-member-history.js';
import { locationType } from './location.js';
import { medicationStatementType } from './medication-statement.js';
import { patientType } from './patient.js';
import { practitionerType } from './practitioner.js';
import { questionnaireResponseType } from './questionnaire-response.js';

/**
 * Every resource type the FHIR API serves, in the CapabilityStatement's order. A new type is a file
 * beside these (a mapping function and `defineFhirType` with its search parameters) added here:
 * read, search, the CapabilityStatement, the tools' type lists and, with a `patientParameter`,
 * Patient/$everything all come from this list.
 */
export const fhirTypes: readonly FhirType[] = [
  patientType,
  appointmentType,
  communicationType,
  questionnaireResponseType,
  allergyIntoleranceType,
  medicationStatementType,
  conditionType,
  familyMemberHistoryType,
  practitionerType,
  locationType,
];

export const fhirTypeNames = fhirTypes.map((definition) => definition.type);

/** The type of this name; the tools' input schemas allow only listed names, so it is always there. */
export function fhirTypeNamed(type: string): FhirType {
  const found = fhirTypes.find((definition) => definition.type === type);
  if (!found) throw new Error(`No FHIR resource type ${type} is defined`);
  return found;
}
