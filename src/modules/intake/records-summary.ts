import { storableText } from '../../tools/input-text.js';
import { recordKinds, type IntakeRecord, type RecordKind, type SummaryStatement } from './entities.js';
import type { RecordDataOf } from './record-data.js';
import { MAX_SUMMARY_STATEMENTS } from './schema.js';

/** Summaries without a model, and the rule every statement of a summary follows: it cites records of its session. */

const joined = (parts: (string | false | undefined)[], separator = ', ') => parts.filter((part): part is string => Boolean(part)).join(separator);
const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

/** One sentence per kind, from a record's data alone. */
const describe: { [Kind in RecordKind]: (data: RecordDataOf<Kind>) => string } = {
  chief_complaint: (data) => `Chief complaint: ${sentence(data.text)}`,
  symptom: (data) =>
    `Symptom: ${joined([
      data.name,
      data.bodySite && `at ${data.bodySite}`,
      data.severity !== undefined && `severity ${data.severity}/10`,
      data.onsetDate && `since ${data.onsetDate}`,
      data.duration && `lasting ${data.duration}`,
    ])}${data.notes ? ` (${data.notes})` : ''}.`,
  allergy: (data) => `Allergy to ${joined([data.substance, data.reaction && `reaction: ${data.reaction}`, data.severity && `severity: ${data.severity}`])}.`,
  no_known_allergies: () => 'No known allergies.',
  medication: (data) => `Medication: ${joined([data.name, data.dose, data.frequency])}${data.notes ? ` (${data.notes})` : ''}.`,
  no_medications: () => 'Takes no medications.',
  condition: (data) =>
    `History of ${joined([data.condition, data.diagnosedYear !== undefined && `diagnosed ${data.diagnosedYear}`, data.status && data.status])}${data.notes ? ` (${data.notes})` : ''}.`,
  family_history: (data) => `Family history: ${data.relation}, ${joined([data.condition, data.ageAtOnset !== undefined && `from age ${data.ageAtOnset}`])}.`,
  social_history: (data) =>
    `Social history: ${joined(
      [
        data.tobacco && `tobacco: ${data.tobacco}`,
        data.alcohol && `alcohol: ${data.alcohol}`,
        data.otherSubstances && `other substances: ${data.otherSubstances}`,
        data.occupation && `occupation: ${data.occupation}`,
        data.livingSituation && `living situation: ${data.livingSituation}`,
      ],
      '; ',
    )}.`,
  note: (data) => `Note: ${sentence(data.text)}`,
};

const sentenceOf = <Kind extends RecordKind>(kind: Kind, data: Record<string, unknown>) => describe[kind](data as RecordDataOf<Kind>);

/**
 * The summary built from the records alone: one statement per record, citing it, in the order of the
 * kinds (chief complaint first, notes last), then as they were recorded.
 */
export function summarizeRecords(records: readonly Pick<IntakeRecord, 'id' | 'kind' | 'data'>[]): SummaryStatement[] {
  const order = (kind: RecordKind) => recordKinds.indexOf(kind);
  // A stable sort: records of one kind stay in the order they came.
  return [...records]
    .sort((a, b) => order(a.kind) - order(b.kind))
    .slice(0, MAX_SUMMARY_STATEMENTS)
    .map((record) => ({ text: sentenceOf(record.kind, record.data), recordIds: [record.id] }));
}

/**
 * The statements that cite at least one record and only records of the session (`recordIds`); the
 * rest are dropped. Texts are trimmed, cut to 2,000 characters and made storable.
 */
export function keepCited(statements: readonly { text: string; recordIds: readonly string[] }[], recordIds: ReadonlySet<string>): { kept: SummaryStatement[]; dropped: number } {
  const kept: SummaryStatement[] = [];
  for (const statement of statements) {
    const text = storableText(statement.text.trim()).slice(0, 2000);
    const cited = [...new Set(statement.recordIds)];
    if (text === '' || cited.length === 0 || !cited.every((id) => recordIds.has(id)) || kept.length >= MAX_SUMMARY_STATEMENTS) continue;
    kept.push({ text, recordIds: cited });
  }
  return { kept, dropped: statements.length - kept.length };
}
