import { z } from 'zod';
import { DateOnly, Id, Timestamp } from '../../schema.js';
import type { RecordKind } from './entities.js';

/** What each kind of intake record holds: one zod shape per kind, the one definition of each. */

const text = (max: number) => z.string().trim().min(1).max(max);
const Note = text(2000).describe('Anything else, in the patient’s words.');

const ChiefComplaint = z.strictObject({ text: text(2000).describe('Why the patient comes, in their words.') });

const Symptom = z.strictObject({
  name: text(200).describe('The symptom: headache, cough, rash…'),
  onsetDate: DateOnly.optional().describe('When it started (YYYY-MM-DD); not after today in the clinic.'),
  duration: text(100).optional().describe('How long it has lasted or lasts each time: "3 days", "a few minutes".'),
  severity: z.number().int().min(0).max(10).optional().describe('How bad, 0 (none) to 10 (worst imaginable).'),
  bodySite: text(200).optional().describe('Where on the body.'),
  notes: Note.optional(),
});

const Allergy = z.strictObject({
  substance: text(200).describe('What the patient is allergic to: a drug, a food, latex…'),
  reaction: text(500).optional().describe('What happens: rash, swelling, anaphylaxis…'),
  severity: z.enum(['mild', 'moderate', 'severe', 'unknown']).optional().describe('mild, moderate, severe or unknown.'),
});

/** An explicit "none": the question was asked and answered. */
const Nothing = z.strictObject({}).default({}).describe('Nothing: the kind itself is the answer.');

const Medication = z.strictObject({
  name: text(200).describe('The medicine, as the patient names it.'),
  dose: text(100).optional().describe('How much: "500 mg", "2 puffs".'),
  frequency: text(100).optional().describe('How often: "twice a day", "as needed".'),
  notes: Note.optional(),
});

const Condition = z.strictObject({
  condition: text(200).describe('A past or current condition: asthma, type 2 diabetes, appendectomy…'),
  diagnosedYear: z.number().int().min(1900).optional().describe('The year it was diagnosed or happened; not after this year.'),
  status: z.enum(['active', 'resolved', 'unknown']).optional().describe('active, resolved or unknown.'),
  notes: Note.optional(),
});

const FamilyHistory = z.strictObject({
  relation: text(100).describe('Who: mother, father, sister, maternal grandmother…'),
  condition: text(200).describe('Their condition.'),
  ageAtOnset: z.number().int().min(0).max(130).optional().describe('Their age when it began.'),
});

const SocialHistory = z
  .strictObject({
    tobacco: text(500).optional().describe('Smoking or other tobacco: never, former (until when), current (how much).'),
    alcohol: text(500).optional().describe('Alcohol: how much, how often.'),
    otherSubstances: text(500).optional().describe('Other substances, if any.'),
    occupation: text(200).optional().describe('Work.'),
    livingSituation: text(500).optional().describe('Who they live with, where, support at home.'),
  })
  .refine((data) => Object.keys(data).length > 0, { message: 'Give at least one of tobacco, alcohol, otherSubstances, occupation, livingSituation.' });

const FreeNote = z.strictObject({ text: text(4000).describe('A free note.') });

/** The data shape of each kind. */
export const recordData = {
  chief_complaint: ChiefComplaint,
  symptom: Symptom,
  allergy: Allergy,
  no_known_allergies: Nothing,
  medication: Medication,
  no_medications: Nothing,
  condition: Condition,
  family_history: FamilyHistory,
  social_history: SocialHistory,
  note: FreeNote,
} satisfies Record<RecordKind, z.ZodType>;

type Kinds = typeof recordData;
/** A record's data, as stored, typed by its kind. */
export type RecordDataOf<Kind extends RecordKind> = z.output<Kinds[Kind]>;

/** A client's own id for a record: the same id sent again updates that record instead of adding one. */
export const ClientItemId = z
  .string()
  .regex(/^[\x20-\x7e]{1,200}$/, { message: '1 to 200 printable ASCII characters' })
  .describe('Your id for this record (a form field, a chat item): sending it again updates the record, never adds a second one. Unique in the session.');

const kindNotes: Record<RecordKind, string> = {
  chief_complaint: 'Why the patient comes.',
  symptom: 'A symptom with onset date, duration, severity 0-10, body site and notes.',
  allergy: 'One allergy: substance, reaction, severity.',
  no_known_allergies: 'The patient was asked and has no known allergies (data: {}).',
  medication: 'One current medication: name, dose, frequency.',
  no_medications: 'The patient was asked and takes no medications (data: {}).',
  condition: 'A past or current condition (medical history).',
  family_history: 'A condition of a relative: relation, condition, age at onset.',
  social_history: 'Tobacco, alcohol, other substances, occupation, living situation.',
  note: 'A free note.',
};

/** One option of a record union per kind, `extra` fields beside kind and data. */
function unionOf<Extra extends z.ZodRawShape>(extra: Extra) {
  const option = <Kind extends RecordKind>(kind: Kind) =>
    z.strictObject({ ...extra, kind: z.literal(kind).describe(kindNotes[kind]), data: recordData[kind] as Kinds[Kind] });
  return z.discriminatedUnion('kind', [
    option('chief_complaint'),
    option('symptom'),
    option('allergy'),
    option('no_known_allergies'),
    option('medication'),
    option('no_medications'),
    option('condition'),
    option('family_history'),
    option('social_history'),
    option('note'),
  ]);
}

/** A record as a client sends it. */
export const RecordInput = unionOf({ clientItemId: ClientItemId });
export type RecordInput = z.output<typeof RecordInput>;

/** A record as the service shows it. */
export const RecordView = unionOf({ id: Id, clientItemId: z.string(), createdAt: Timestamp, updatedAt: Timestamp });
export type RecordView = z.input<typeof RecordView>;
