import { addPatient, API, connectTwilio } from '../support/clinic-fixture.js';
import type { TestTenant } from '../support/harness.js';
import { addKnowledge } from '../support/vector-fixtures.js';
import type { ClinicData } from './case-format.js';
import { emptyReferences, type References } from './references.js';

export type BuiltClinic = { references: References; numbers: { phone: string; whatsapp: string } };

/**
 * Makes the case's clinic in its tenant through the REST API, as staff would: profile, locations,
 * practitioners with weekly schedules, patients, appointments, knowledge articles, and the Twilio
 * account with numbers of its own.
 */
export async function buildClinic(clinic: TestTenant, data: ClinicData): Promise<BuiltClinic> {
  const references = emptyReferences();
  const profile = { address: data.address, phone: data.phone, hours: data.hours, policies: data.policies, verification: data.verification };
  if (Object.values(profile).some((value) => value !== undefined)) await clinic.call('PATCH', `${API}/clinic`, profile);

  const locations = new Map<string, string>();
  for (const [key, practitioner] of Object.entries(data.practitioners)) {
    if (!locations.has(practitioner.location)) {
      locations.set(practitioner.location, (await clinic.call<{ id: string }>('POST', `${API}/locations`, { name: practitioner.location })).id);
    }
    const created = await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: practitioner.name, ...(practitioner.specialty ? { specialty: practitioner.specialty } : {}) });
    const [startTime, endTime] = practitioner.hours.split('-');
    const rules = practitioner.weekdays.map((weekday) => ({ weekday, startTime, endTime, slotMinutes: practitioner.slot_minutes, locationId: locations.get(practitioner.location) }));
    await clinic.call('PUT', `${API}/practitioners/${created.id}/schedule`, { rules });
    references.practitioner.set(key, created.id);
  }

  for (const [key, patient] of Object.entries(data.patients)) {
    const created = await addPatient(clinic, {
      givenName: patient.given_name,
      familyName: patient.family_name,
      dateOfBirth: patient.date_of_birth,
      phone: patient.phone,
      ...(patient.preferred_language ? { preferredLanguage: patient.preferred_language } : {}),
    });
    references.patient.set(key, created.id);
  }

  for (const appointment of data.appointments) {
    const patientId = known(references.patient, 'patient', appointment.patient);
    const practitionerId = known(references.practitioner, 'practitioner', appointment.with);
    const created = await clinic.call<{ id: string }>('POST', `${API}/appointments`, { patientId, practitionerId, startAt: appointment.at });
    if (appointment.status === 'confirmed') await clinic.call('POST', `${API}/appointments/${created.id}/confirm`, {});
    if (appointment.status === 'cancelled') await clinic.call('POST', `${API}/appointments/${created.id}/cancel`, { reason: 'Cancelled by staff' });
    if (appointment.ref) references.appointment.set(appointment.ref, created.id);
  }

  for (const article of data.knowledge) await addKnowledge(clinic, article.title, article.text);
  return { references, numbers: await connectTwilio(clinic) };
}

function known(map: Map<string, string>, kind: string, key: string): string {
  const id = map.get(key);
  if (!id) throw new Error(`The clinic's appointments name ${kind} "${key}", which the clinic does not have`);
  return id;
}
