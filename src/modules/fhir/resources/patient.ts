import type { Address as FhirAddress, HumanName, Patient as FhirPatient, PatientLink } from '@medplum/fhirtypes';
import type { AppContext } from '../../../context.js';
import { toIso } from '../../../schema.js';
import { Patient, PatientIdentifier, type Address } from '../../patients/entities.js';
import { normalizePhone } from '../../patients/ops/normalize.js';
import { contactPoints } from '../datatypes.js';
import { referenceTo } from '../references.js';
import { defineFhirType } from '../resource-type.js';
import { codeParameter, dateParameter, splitToken, stringParameter } from '../search-parameters.js';

type PatientRecord = {
  patient: Patient;
  identifiers: readonly Pick<PatientIdentifier, 'system' | 'value'>[];
  /** The records merged into this one. */
  replaces: readonly string[];
};

/** The contact point the preferred channel uses: WhatsApp, SMS and voice go to the phone. */
const preferredContact = (channel: string | null | undefined): 'phone' | 'email' | undefined =>
  channel === 'email' ? 'email' : channel ? 'phone' : undefined;

function names(patient: Patient): HumanName[] {
  const official: HumanName = { use: 'official', family: patient.familyName, given: [patient.givenName] };
  return patient.preferredName ? [official, { use: 'usual', family: patient.familyName, given: [patient.preferredName] }] : [official];
}

function address(stored: Address | null | undefined): FhirAddress[] {
  if (!stored) return [];
  const line = [stored.line1, stored.line2].filter((text): text is string => Boolean(text));
  const mapped: FhirAddress = {
    ...(line.length > 0 ? { line } : {}),
    ...(stored.city ? { city: stored.city } : {}),
    ...(stored.region ? { state: stored.region } : {}),
    ...(stored.postalCode ? { postalCode: stored.postalCode } : {}),
    ...(stored.country ? { country: stored.country } : {}),
  };
  return Object.keys(mapped).length > 0 ? [mapped] : [];
}

function links(patient: Patient, replaces: readonly string[]): PatientLink[] {
  return [
    ...(patient.mergedIntoId ? [{ other: referenceTo('Patient', patient.mergedIntoId), type: 'replaced-by' as const }] : []),
    ...replaces.map((id) => ({ other: referenceTo('Patient', id), type: 'replaces' as const })),
  ];
}

/**
 * A patient record as FHIR. Identifiers keep their system as `type.text` (the clinic's own words,
 * "MRN", an insurer's name: not URIs); phone and email are telecom, the preferred channel's one
 * ranked 1; a merged record is inactive, linked `replaced-by` the record it went into.
 */
export function patientResource({ patient, identifiers, replaces }: PatientRecord): FhirPatient {
  const addresses = address(patient.address);
  const linked = links(patient, replaces);
  return {
    resourceType: 'Patient',
    id: patient.id,
    meta: { lastUpdated: toIso(patient.updatedAt) },
    ...(identifiers.length > 0 ? { identifier: identifiers.map((identifier) => ({ type: { text: identifier.system }, value: identifier.value })) } : {}),
    active: patient.status === 'active',
    name: names(patient),
    ...contactPoints(patient, preferredContact(patient.preferredChannel)),
    gender: patient.sex,
    birthDate: patient.dateOfBirth,
    ...(addresses.length > 0 ? { address: addresses } : {}),
    ...(patient.preferredLanguage
      ? { communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: patient.preferredLanguage }] }, preferred: true }] }
      : {}),
    ...(linked.length > 0 ? { link: linked } : {}),
  };
}

async function patientRecords(ctx: AppContext, patients: Patient[]): Promise<FhirPatient[]> {
  const ids = patients.map((patient) => patient.id);
  const identifiers = await ctx.em.find(PatientIdentifier, { patientId: { $in: ids } }, { orderBy: [{ system: 'asc' }, { value: 'asc' }] });
  const merged = await ctx.em.find(Patient, { mergedIntoId: { $in: ids } }, { orderBy: { id: 'asc' } });
  return patients.map((patient) =>
    patientResource({
      patient,
      identifiers: identifiers.filter((identifier) => identifier.patientId === patient.id),
      replaces: merged.filter((source) => source.mergedIntoId === patient.id).map((source) => source.id),
    }),
  );
}

/** Patients: every record but deleted ones (a merged one is there, inactive, pointing at the kept record). */
export const patientType = defineFhirType<Patient>({
  type: 'Patient',
  entity: Patient,
  visible: { status: { $ne: 'deleted' } },
  parameters: {
    name: stringParameter({ documentation: 'Any part of the name: given, family or preferred name.', properties: ['givenName', 'familyName', 'preferredName'] }),
    family: stringParameter({ documentation: 'The family name.', properties: ['familyName'] }),
    given: stringParameter({ documentation: 'The given or preferred name.', properties: ['givenName', 'preferredName'] }),
    birthdate: dateParameter({ documentation: 'The date of birth.', property: 'dateOfBirth', calendarDate: true }),
    gender: codeParameter({
      documentation: 'The administrative gender.',
      system: 'http://hl7.org/fhir/administrative-gender',
      codes: { female: { sex: 'female' }, male: { sex: 'male' }, other: { sex: 'other' }, unknown: { sex: 'unknown' } },
    }),
    active: codeParameter({ documentation: 'false finds records merged into another.', codes: { true: { status: 'active' }, false: { status: 'merged' } } }),
    phone: {
      type: 'token',
      documentation: 'A phone number in any format the clinic’s country reads, compared as E.164.',
      condition: (ctx, { name, value }) => ({ phone: normalizePhone(ctx, splitToken(value).code, name) }),
    },
    email: { type: 'token', documentation: 'An email address, case-insensitive.', condition: (_ctx, { value }) => ({ email: splitToken(value).code.toLowerCase() }) },
    identifier: {
      type: 'token',
      documentation: 'An identifier value, or system|value with the system as the clinic wrote it (MRN, an insurer’s name).',
      condition: async (ctx, { value }) => {
        const { system, code } = splitToken(value);
        const found = await ctx.em.find(PatientIdentifier, { value: code, ...(system ? { system } : {}) });
        return { id: { $in: found.map((identifier) => identifier.patientId) } };
      },
    },
  },
  toResources: patientRecords,
});
