import { toIso, toIsoOrNull } from '../../../schema.js';
import type { PatientConsent, PatientIdentifier } from '../entities.js';
import type { PatientRow } from '../statements.js';
import type { ConsentState, ConsentView, IdentifierView, PatientView } from '../schema.js';

export const patientView = (patient: PatientRow): PatientView => ({
  id: patient.id,
  givenName: patient.givenName,
  familyName: patient.familyName,
  preferredName: patient.preferredName ?? null,
  dateOfBirth: patient.dateOfBirth,
  sex: patient.sex,
  phone: patient.phone ?? null,
  email: patient.email ?? null,
  address: patient.address ?? null,
  preferredLanguage: patient.preferredLanguage ?? null,
  preferredChannel: patient.preferredChannel ?? null,
  status: patient.status,
  mergedIntoId: patient.mergedIntoId ?? null,
  deletedAt: toIsoOrNull(patient.deletedAt),
  createdAt: toIso(patient.createdAt),
  updatedAt: toIso(patient.updatedAt),
});

export const identifierView = (identifier: Pick<PatientIdentifier, 'id' | 'system' | 'value'>): IdentifierView => ({
  id: identifier.id,
  system: identifier.system,
  value: identifier.value,
});

export const consentView = (consent: PatientConsent): ConsentView => ({
  id: consent.id,
  patientId: consent.patientId,
  channel: consent.channel,
  purpose: consent.purpose,
  status: consent.status,
  source: consent.source,
  recordedBy: consent.recordedBy,
  note: consent.note ?? null,
  recordedAt: toIso(consent.recordedAt),
});

/** The latest row per channel and purpose, from a history sorted newest first. */
export function currentConsents(historyNewestFirst: readonly Pick<PatientConsent, 'channel' | 'purpose' | 'status' | 'recordedAt'>[]): ConsentState[] {
  const seen = new Set<string>();
  const current: ConsentState[] = [];
  for (const consent of historyNewestFirst) {
    const key = `${consent.channel}/${consent.purpose}`;
    if (seen.has(key)) continue;
    seen.add(key);
    current.push({ channel: consent.channel, purpose: consent.purpose, status: consent.status, recordedAt: toIso(consent.recordedAt) });
  }
  return current;
}
