import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter, tenantOwnedProperties } from '../../db/base.js';

export const sexes = ['female', 'male', 'other', 'unknown'] as const;
export const patientStatuses = ['active', 'merged', 'deleted'] as const;
export const consentChannels = ['whatsapp', 'sms', 'voice', 'email', 'all'] as const;
export const consentPurposes = ['care_messages', 'appointment_reminders', 'marketing', 'research', 'conversation_search'] as const;

export type Address = { line1?: string; line2?: string; city?: string; region?: string; postalCode?: string; country?: string };

export const Patient = defineEntity({
  name: 'Patient',
  tableName: 'patient',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    givenName: p.string(),
    familyName: p.string(),
    preferredName: p.string().nullable(),
    /** ISO date (YYYY-MM-DD). */
    dateOfBirth: p.date(),
    sex: p.enum([...sexes]),
    /** E.164. */
    phone: p.string().nullable(),
    /** Lowercased. */
    email: p.string().nullable(),
    address: p.json<Address>().nullable(),
    preferredLanguage: p.string().nullable(),
    preferredChannel: p.string().nullable(),
    status: p.enum([...patientStatuses]),
    mergedIntoId: p.uuid().nullable(),
    deletedAt: p.datetime().nullable(),
  },
});
export type Patient = InferEntity<typeof Patient>;

/** An identifier from another system (MRN, insurance member id): unique per tenant and system. */
export const PatientIdentifier = defineEntity({
  name: 'PatientIdentifier',
  tableName: 'patient_identifier',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    patientId: p.uuid(),
    system: p.string(),
    value: p.string(),
  },
});
export type PatientIdentifier = InferEntity<typeof PatientIdentifier>;

/** One grant or revocation. The latest row per channel and purpose is the patient's current choice. */
export const PatientConsent = defineEntity({
  name: 'PatientConsent',
  tableName: 'patient_consent',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    patientId: p.uuid(),
    channel: p.enum([...consentChannels]),
    purpose: p.enum([...consentPurposes]),
    status: p.enum(['granted', 'revoked']),
    /** The door it came through (rest, mcp, whatsapp, sms ...). */
    source: p.string(),
    /** The actor who recorded it. */
    recordedBy: p.string(),
    note: p.text().nullable(),
    recordedAt: p.datetime(),
  },
});
export type PatientConsent = InferEntity<typeof PatientConsent>;
