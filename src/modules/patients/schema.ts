import { z } from 'zod';
import { pageInput, pageOutput } from '../../db/pagination.js';
import { DateOnly, Id, Timestamp } from '../../schema.js';
import { consentChannels, consentPurposes, patientStatuses, sexes } from './entities.js';

// ---- fields, shared by the inputs -------------------------------------------------------------

const Name = z.string().trim().min(1).max(100);
const GivenName = Name.describe('Given (first) name, as on the patient’s documents.');
const FamilyName = Name.describe('Family (last) name, as on the patient’s documents.');
const PreferredName = Name.describe('What the patient likes to be called, if not the given name.');
const DateOfBirth = DateOnly.describe('Date of birth, YYYY-MM-DD; not in the future.');
const Sex = z.enum(sexes).describe('female, male, other or unknown.');
/** Normalized to E.164 by the service, which knows the clinic's country. */
const Phone = z
  .string()
  .trim()
  .min(3)
  .max(40)
  .describe('Phone number, international (+44 20 7946 0958) or national in the clinic’s country ((212) 555-0142); stored as E.164.');
const Email = z.string().trim().toLowerCase().max(254).pipe(z.email()).describe('Email address; stored lowercased.');
const AddressLine = z.string().trim().min(1).max(200);
const Address = z
  .strictObject({
    line1: AddressLine.optional().describe('Street and number.'),
    line2: AddressLine.optional().describe('Apartment, suite, building.'),
    city: AddressLine.optional().describe('City or town.'),
    region: AddressLine.optional().describe('State, province or county.'),
    postalCode: z.string().trim().min(1).max(20).optional().describe('Postal or ZIP code.'),
    country: z.string().trim().toUpperCase().regex(/^[A-Z]{2}$/, 'a two-letter ISO 3166 country code').optional().describe('ISO 3166 two-letter country code, for example US.'),
  })
  .describe('Postal address.');
const PreferredLanguage = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag such as en, es or pt-BR')
  .describe('The language to talk to the patient in, as a BCP 47 tag: en, es, pt-BR.');
export const contactChannels = ['whatsapp', 'sms', 'voice', 'email'] as const;
const PreferredChannel = z.enum(contactChannels).describe('How the patient prefers to be contacted: whatsapp, sms, voice or email.');
const IdentifierSystem = z.string().trim().min(1).max(100).describe('The system the identifier belongs to, for example MRN or an insurer’s name.');
const IdentifierValue = z.string().trim().min(1).max(200).describe('The identifier itself.');
const Identifier = z.strictObject({ system: IdentifierSystem, value: IdentifierValue });
const Identifiers = z.array(Identifier).max(20).describe('Identifiers from other systems (MRN, insurance member id); each unique in the clinic.');
const PatientId = Id.describe('The patient id.');
const ConsentChannel = z.enum(consentChannels).describe('whatsapp, sms, voice, email, or all (every channel).');
const ConsentPurpose = z.enum(consentPurposes).describe('care_messages, appointment_reminders, marketing, research or conversation_search.');
const ConsentNote = z.string().trim().min(1).max(2000).describe('Free text: how or why it was given or withdrawn.');

// ---- views -----------------------------------------------------------------------------------

export const AddressView = z.object({
  line1: z.string().optional(),
  line2: z.string().optional(),
  city: z.string().optional(),
  region: z.string().optional(),
  postalCode: z.string().optional(),
  country: z.string().optional(),
});

export const PatientView = z.object({
  id: Id,
  givenName: z.string(),
  familyName: z.string(),
  preferredName: z.string().nullable(),
  dateOfBirth: DateOnly,
  sex: z.enum(sexes),
  phone: z.string().nullable().describe('E.164.'),
  email: z.string().nullable(),
  address: AddressView.nullable(),
  preferredLanguage: z.string().nullable(),
  preferredChannel: z.string().nullable(),
  status: z.enum(patientStatuses).describe('active, merged (see mergedIntoId) or deleted.'),
  mergedIntoId: Id.nullable(),
  deletedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type PatientView = z.input<typeof PatientView>;

export const IdentifierView = z.object({ id: Id, system: z.string(), value: z.string() });
export type IdentifierView = z.input<typeof IdentifierView>;

export const ConsentState = z.object({
  channel: z.enum(consentChannels),
  purpose: z.enum(consentPurposes),
  status: z.enum(['granted', 'revoked']),
  recordedAt: Timestamp,
});
export type ConsentState = z.input<typeof ConsentState>;

export const ConsentView = ConsentState.extend({
  id: Id,
  patientId: Id,
  source: z.string().describe('The door it came through: rest, mcp, whatsapp, sms, voice ...'),
  recordedBy: z.string().describe('The actor who recorded it.'),
  note: z.string().nullable(),
});
export type ConsentView = z.input<typeof ConsentView>;

export const PatientDetail = PatientView.extend({
  identifiers: z.array(IdentifierView),
  consents: z.array(ConsentState).describe('The current choice per channel and purpose.'),
});
export type PatientDetail = z.input<typeof PatientDetail>;

export const duplicateReasons = ['same_identifier', 'same_phone_and_date_of_birth', 'similar_name_and_date_of_birth'] as const;
export const DuplicateCandidate = z.object({
  id: Id,
  name: z.string(),
  dateOfBirth: DateOnly,
  phone: z.string().nullable(),
  reason: z.enum(duplicateReasons),
});
export type DuplicateCandidate = z.input<typeof DuplicateCandidate>;

// ---- inputs and outputs per operation ----------------------------------------------------------

export const CreatePatientInput = z.strictObject({
  givenName: GivenName,
  familyName: FamilyName,
  preferredName: PreferredName.optional(),
  dateOfBirth: DateOfBirth,
  sex: Sex.default('unknown'),
  phone: Phone.optional(),
  email: Email.optional(),
  address: Address.optional(),
  preferredLanguage: PreferredLanguage.optional(),
  preferredChannel: PreferredChannel.optional(),
  identifiers: Identifiers.optional(),
  allowDuplicate: z
    .boolean()
    .default(false)
    .describe('true: create even though a similar patient exists (after checking it is someone else). An identifier in use is refused anyway.'),
});

export const FindDuplicatesInput = z.strictObject({
  givenName: GivenName,
  familyName: FamilyName,
  dateOfBirth: DateOfBirth,
  phone: Phone.optional(),
  identifiers: Identifiers.optional(),
});
export const FindDuplicatesOutput = z.object({
  candidates: z.array(DuplicateCandidate).describe('Active patients who may be the same person; empty when none.'),
});

export const GetPatientInput = z.strictObject({ id: PatientId });

export const UpdatePatientInput = z.strictObject({
  id: PatientId,
  givenName: GivenName.optional(),
  familyName: FamilyName.optional(),
  preferredName: PreferredName.nullable().optional().describe('null clears it.'),
  dateOfBirth: DateOfBirth.optional(),
  sex: Sex.optional(),
  phone: Phone.nullable().optional().describe('null clears it. Stored as E.164.'),
  email: Email.nullable().optional().describe('null clears it.'),
  address: Address.nullable().optional().describe('Replaces the whole address; null clears it.'),
  preferredLanguage: PreferredLanguage.nullable().optional().describe('null clears it.'),
  preferredChannel: PreferredChannel.nullable().optional().describe('null clears it.'),
});

export const DeletePatientInput = z.strictObject({ id: PatientId });

export const SearchPatientsInput = z.strictObject({
  q: z.string().trim().min(1).max(100).optional().describe('Name, fuzzy ("jon smth" finds John Smith); best match first.'),
  phone: Phone.optional().describe('Phone number, in any format the clinic’s country understands.'),
  email: Email.optional(),
  dateOfBirth: DateOnly.optional().describe('Date of birth, YYYY-MM-DD.'),
  identifier: IdentifierValue.optional().describe('An identifier value (MRN, member id).'),
  identifierSystem: IdentifierSystem.optional().describe('Only with `identifier`: the system it belongs to.'),
  includeInactive: z.boolean().default(false).describe('true: include merged and deleted records.'),
  ...pageInput,
});
export const PatientSearchItem = PatientView.extend({
  matchScore: z.number().nullable().describe('With `q`: how close the name is, 0-1; null without `q`.'),
});
export const SearchPatientsOutput = pageOutput(PatientSearchItem);

export const MergePatientsInput = z.strictObject({
  id: Id.describe('The patient to keep (the target).'),
  sourcePatientId: Id.describe('The duplicate to merge into the target; it is marked merged afterwards.'),
});
export const MergePatientsOutput = z.object({
  patient: PatientDetail.describe('The kept patient, after the merge.'),
  mergedPatientId: Id.describe('The source, now status merged.'),
  moved: z.object({
    appointments: z.number().int(),
    tickets: z.number().int(),
    identifiers: z.number().int(),
    consents: z.number().int(),
    conversations: z.number().int(),
    media: z.number().int().describe('Uploaded files linked to the patient.'),
    intakeSessions: z.number().int().describe('Clinical intakes of the patient.'),
  }),
  filledFields: z.array(z.string()).describe('Fields empty on the target that were taken from the source.'),
});

export const RecordConsentInput = z.strictObject({
  patientId: PatientId,
  channel: ConsentChannel,
  purpose: ConsentPurpose,
  note: ConsentNote.optional(),
});

export const ListConsentsInput = z.strictObject({ patientId: PatientId });
export const ListConsentsOutput = z.object({
  current: z.array(ConsentState).describe('The latest choice per channel and purpose, newest first.'),
  history: z.array(ConsentView).describe('Every grant and revocation, newest first.'),
});
