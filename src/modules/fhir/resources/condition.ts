import type { CodeableConcept, Condition as FhirCondition } from '@medplum/fhirtypes';
import { toIso } from '../../../schema.js';
import type { IntakeRecordInSession } from '../entities.js';
import { codeOf, conditionClinicalCodes, dataOf, intakeRecordType, notes, recordResource, SNOMED, snomed } from '../intake-records.js';
import { referenceTo } from '../references.js';
import { codeParameter } from '../search-parameters.js';

const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';

/** The patient's history goes on the problem list; what they feel now is a finding they report. */
const problemListItem = codeOf(CONDITION_CATEGORY, 'problem-list-item', 'Problem List Item');
const reportedFinding: CodeableConcept = { coding: [snomed('418799008', 'Finding reported by subject or history provider')], text: 'Symptom' };
/** What the patient says, not confirmed by a clinician. */
const unconfirmed = codeOf('http://terminology.hl7.org/CodeSystem/condition-ver-status', 'unconfirmed', 'Unconfirmed');

/**
 * A condition of the patient's history (category `problem-list-item`) or a symptom they report
 * (category SNOMED 418799008 "Finding reported by subject or history provider"), unconfirmed, the
 * patient as asserter, recorded when the record was made. History: the status as the patient gave it
 * (active or resolved; none when unknown), the year as `onsetDateTime`. Symptom: `active`, the onset
 * date, the 0–10 severity as `severity.text`, the body site as text, the duration in a note.
 */
export function conditionResource(row: IntakeRecordInSession): FhirCondition {
  const patient = referenceTo('Patient', row.patientId);
  const common: FhirCondition = {
    ...recordResource('Condition', row),
    verificationStatus: unconfirmed,
    subject: patient,
    recordedDate: toIso(row.createdAt),
    asserter: patient,
  };
  if (row.kind === 'symptom') {
    const symptom = dataOf(row, 'symptom');
    return {
      ...common,
      clinicalStatus: { coding: [conditionClinicalCodes.active] },
      category: [reportedFinding],
      ...(symptom.severity === undefined ? {} : { severity: { text: `${symptom.severity} out of 10` } }),
      code: { text: symptom.name },
      ...(symptom.bodySite ? { bodySite: [{ text: symptom.bodySite }] } : {}),
      ...(symptom.onsetDate ? { onsetDateTime: symptom.onsetDate } : {}),
      ...notes(symptom.duration && `Duration: ${symptom.duration}`, symptom.notes),
    };
  }
  const history = dataOf(row, 'condition');
  const status = history.status === 'active' || history.status === 'resolved' ? conditionClinicalCodes[history.status] : undefined;
  return {
    ...common,
    ...(status ? { clinicalStatus: { coding: [status] } } : {}),
    category: [problemListItem],
    code: { text: history.condition },
    ...(history.diagnosedYear === undefined ? {} : { onsetDateTime: String(history.diagnosedYear) }),
    ...notes(history.notes),
  };
}

export const conditionType = intakeRecordType({
  type: 'Condition',
  kinds: ['condition', 'symptom'],
  patientDocumentation: 'The patient who reported it in a submitted intake.',
  parameters: {
    category: codeParameter({
      documentation: 'problem-list-item for the patient’s history, 418799008 (SNOMED) for the symptoms they report.',
      system: { 'problem-list-item': CONDITION_CATEGORY, '418799008': SNOMED },
      codes: { 'problem-list-item': { kind: 'condition' }, '418799008': { kind: 'symptom' } },
    }),
  },
  toResource: conditionResource,
});
