import type { Coding, QuestionnaireResponse as FhirQuestionnaireResponse, QuestionnaireResponseItem, QuestionnaireResponseItemAnswer } from '@medplum/fhirtypes';
import type { AppContext } from '../../../context.js';
import { toIso } from '../../../schema.js';
import { IntakeRecord, IntakeSession, type IntakeStatus, type RecordKind } from '../../intake/entities.js';
import { conditionClinicalCodes, noKnownAllergy, noKnownMedications, unknownCoding } from '../intake-records.js';
import { referenceTo } from '../references.js';
import { defineFhirType } from '../resource-type.js';
import { codeParameter, conditionsByCode, dateParameter, referenceParameter } from '../search-parameters.js';

type FhirStatus = FhirQuestionnaireResponse['status'];

/** Open is being answered; submitted and reviewed are final answers (a review changes no answer: not `amended`). */
export const questionnaireStatusCodes: Record<IntakeStatus, FhirStatus> = { open: 'in-progress', submitted: 'completed', reviewed: 'completed' };

const allFhirStatuses: readonly FhirStatus[] = ['in-progress', 'completed', 'amended', 'entered-in-error', 'stopped'];

const REACTION_SEVERITY = 'http://hl7.org/fhir/reaction-event-severity';

/** How a field's value is answered: text, a whole number, a date (a year is one), or a coding per value. */
type AnswerType = 'string' | 'integer' | 'date' | Readonly<Record<string, Coding>>;
type Field = { text: string; answer: AnswerType };

/** Each kind's question and, for a kind of several fields, each field's; a kind of one field is answered on its own item. */
const questions: Record<RecordKind, { text: string; fields: Readonly<Record<string, Field>>; none?: Coding }> = {
  chief_complaint: { text: 'Why do you come?', fields: { text: { text: 'Chief complaint', answer: 'string' } } },
  symptom: {
    text: 'Symptom',
    fields: {
      name: { text: 'Symptom', answer: 'string' },
      onsetDate: { text: 'Started on', answer: 'date' },
      duration: { text: 'Duration', answer: 'string' },
      severity: { text: 'Severity (0–10)', answer: 'integer' },
      bodySite: { text: 'Body site', answer: 'string' },
      notes: { text: 'Notes', answer: 'string' },
    },
  },
  allergy: {
    text: 'Allergy',
    fields: {
      substance: { text: 'Substance', answer: 'string' },
      reaction: { text: 'Reaction', answer: 'string' },
      severity: {
        text: 'Severity',
        answer: {
          mild: { system: REACTION_SEVERITY, code: 'mild', display: 'Mild' },
          moderate: { system: REACTION_SEVERITY, code: 'moderate', display: 'Moderate' },
          severe: { system: REACTION_SEVERITY, code: 'severe', display: 'Severe' },
          unknown: unknownCoding,
        },
      },
    },
  },
  no_known_allergies: { text: 'Allergies', fields: {}, none: noKnownAllergy },
  medication: {
    text: 'Medication',
    fields: {
      name: { text: 'Medication', answer: 'string' },
      dose: { text: 'Dose', answer: 'string' },
      frequency: { text: 'Frequency', answer: 'string' },
      notes: { text: 'Notes', answer: 'string' },
    },
  },
  no_medications: { text: 'Medications', fields: {}, none: noKnownMedications },
  condition: {
    text: 'Past or current condition',
    fields: {
      condition: { text: 'Condition', answer: 'string' },
      diagnosedYear: { text: 'Year diagnosed', answer: 'date' },
      status: { text: 'Status', answer: { ...conditionClinicalCodes, unknown: unknownCoding } },
      notes: { text: 'Notes', answer: 'string' },
    },
  },
  family_history: {
    text: 'Family history',
    fields: {
      relation: { text: 'Relative', answer: 'string' },
      condition: { text: 'Condition', answer: 'string' },
      ageAtOnset: { text: 'Age at onset (years)', answer: 'integer' },
    },
  },
  social_history: {
    text: 'Social history',
    fields: {
      tobacco: { text: 'Tobacco', answer: 'string' },
      alcohol: { text: 'Alcohol', answer: 'string' },
      otherSubstances: { text: 'Other substances', answer: 'string' },
      occupation: { text: 'Occupation', answer: 'string' },
      livingSituation: { text: 'Living situation', answer: 'string' },
    },
  },
  note: { text: 'Note', fields: { text: { text: 'Note', answer: 'string' } } },
};

function answer(type: AnswerType, value: unknown): QuestionnaireResponseItemAnswer {
  if (type === 'integer') return { valueInteger: Number(value) };
  if (type === 'date') return { valueDate: String(value) };
  if (type === 'string') return { valueString: String(value) };
  return { valueCoding: type[String(value)] };
}

/**
 * One item per record: its id as the item's `id`, its clientItemId as `linkId`. A kind of one field
 * (the chief complaint, a note) answers on that item, an explicit none with its SNOMED code; the
 * others hold an item per field given (`linkId` `{clientItemId}.{field}`), in the order of `questions`.
 */
export function recordItem(record: Pick<IntakeRecord, 'id' | 'clientItemId' | 'kind' | 'data'>): QuestionnaireResponseItem {
  const question = questions[record.kind];
  const item = { id: record.id, linkId: record.clientItemId, text: question.text };
  if (question.none) return { ...item, answer: [{ valueCoding: question.none }] };
  const given = Object.entries(question.fields).filter(([field]) => record.data[field] !== undefined);
  if (Object.keys(question.fields).length === 1) return { ...item, answer: given.map(([field, { answer: type }]) => answer(type, record.data[field])) };
  return { ...item, item: given.map(([field, { text, answer: type }]) => ({ linkId: `${record.clientItemId}.${field}`, text, answer: [answer(type, record.data[field])] })) };
}

/**
 * An intake session as the patient's answers: the patient as subject and source, `authored` when it
 * was submitted, an item per record, oldest first.
 */
export function questionnaireResponseResource(session: IntakeSession, records: readonly Pick<IntakeRecord, 'id' | 'clientItemId' | 'kind' | 'data'>[]): FhirQuestionnaireResponse {
  const patient = referenceTo('Patient', session.patientId);
  return {
    resourceType: 'QuestionnaireResponse',
    id: session.id,
    meta: { lastUpdated: toIso(session.updatedAt) },
    status: questionnaireStatusCodes[session.status],
    subject: patient,
    ...(session.submittedAt ? { authored: toIso(session.submittedAt) } : {}),
    source: patient,
    ...(records.length > 0 ? { item: records.map(recordItem) } : {}),
  };
}

async function questionnaireResponses(ctx: AppContext, sessions: IntakeSession[]): Promise<FhirQuestionnaireResponse[]> {
  const records = await ctx.em.find(IntakeRecord, { sessionId: { $in: sessions.map((session) => session.id) } }, { orderBy: { id: 'asc' } });
  const bySession = new Map<string, IntakeRecord[]>();
  for (const record of records) {
    const list = bySession.get(record.sessionId);
    if (list) list.push(record);
    else bySession.set(record.sessionId, [record]);
  }
  return sessions.map((session) => questionnaireResponseResource(session, bySession.get(session.id) ?? []));
}

/** Every intake session, open ones too (`in-progress`). */
export const questionnaireResponseType = defineFhirType<IntakeSession>({
  type: 'QuestionnaireResponse',
  entity: IntakeSession,
  patientParameter: 'patient',
  parameters: {
    patient: referenceParameter({ documentation: 'The patient who answered.', targets: { Patient: 'patientId' } }),
    status: codeParameter({
      documentation: 'in-progress while open, completed once submitted.',
      system: 'http://hl7.org/fhir/questionnaire-answers-status',
      codes: conditionsByCode(questionnaireStatusCodes, allFhirStatuses, 'status'),
    }),
    authored: dateParameter({ documentation: 'When it was submitted (an open session has no date).', property: 'submittedAt' }),
  },
  toResources: questionnaireResponses,
});
