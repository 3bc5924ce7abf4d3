import type { AppContext } from '../../context.js';
import { notFound, unprocessable } from '../../errors.js';
import type { Appointment, Location, Practitioner } from '../appointments/entities.js';
import { requireLocation } from '../appointments/locations.js';
import { requirePractitioner } from '../appointments/practitioners.js';
import type { ClinicProfile } from '../conversations/clinic.js';
import { Patient } from '../patients/entities.js';
import { KnownValues } from './variables.js';

/**
 * The patient a message is for. Read here rather than through `requireActivePatient`, which answers
 * a deleted record as not found: a message to a deleted or merged patient is a refusal of state
 * (422), which tells a sender such as a reminder job to drop it rather than to look for a typo.
 */
export async function messagePatient(ctx: AppContext, id: string): Promise<Patient> {
  const patient = await ctx.em.findOne(Patient, { id });
  if (!patient) throw notFound('Patient', id);
  if (patient.status === 'deleted') throw unprocessable(`Patient ${id} was deleted; no message is rendered for them.`, { patientStatus: 'deleted' });
  if (patient.status === 'merged') {
    throw unprocessable(`Patient ${id} was merged into ${patient.mergedIntoId}; use that record.`, { patientStatus: 'merged', mergedIntoId: patient.mergedIntoId });
  }
  return patient;
}

// Intl writes narrow and no-break spaces ("9:00\u202fAM"): one of them makes an SMS UCS-2, 70 characters a part instead of 160.
const plainSpaces = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

function dateTimeTexts(at: Date, locale: string, timeZone: string) {
  const format = (options: Intl.DateTimeFormatOptions) => plainSpaces(new Intl.DateTimeFormat(locale, { ...options, timeZone }).format(at));
  return {
    startLocal: format({ dateStyle: 'full', timeStyle: 'short' }),
    date: format({ dateStyle: 'full' }),
    time: format({ timeStyle: 'short' }),
  };
}

const present = (text: string | null | undefined): text is string => typeof text === 'string' && text.trim() !== '';

/** Leaves out fields without a value, so a template that uses one is refused by name. */
const defined = (fields: Record<string, string | null | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => present(entry[1])));

/** What a message may be about: the patient, the appointment with its practitioner and location, the clinic. */
export type ContextSources = {
  patient?: Patient;
  appointment?: { appointment: Appointment; practitioner: Practitioner; location: Location };
  clinic: ClinicProfile;
  locale: string;
  values?: Record<string, string>;
};

/**
 * The rendering context: the patient's names, the appointment's time (in the clinic's zone, written
 * in the template's locale), practitioner and location, the clinic's profile, and the caller's values.
 * In memory, from records already read (many messages are rendered from one read of each).
 */
export function contextFor(sources: ContextSources): KnownValues {
  const { patient, appointment, clinic } = sources;
  const patientValues = patient
    ? defined({
        givenName: patient.givenName,
        familyName: patient.familyName,
        preferredName: present(patient.preferredName) ? patient.preferredName : patient.givenName,
        fullName: `${patient.givenName} ${patient.familyName}`,
      })
    : {};
  const appointmentValues = appointment
    ? defined({
        ...dateTimeTexts(appointment.appointment.startAt, sources.locale, clinic.timeZone),
        practitionerName: appointment.practitioner.name,
        locationName: appointment.location.name,
        locationAddress: appointment.location.address,
      })
    : {};
  // Parsed, so only the variables publishing allows are in it, each a string, on fresh objects that
  // hold own properties only (zod copies records as data: no name a caller sends can set a prototype).
  return KnownValues.parse({
    patient: patientValues,
    appointment: appointmentValues,
    clinic: defined({ name: clinic.name, phone: clinic.phone, address: clinic.address }),
    values: sources.values ?? {},
  });
}

/** The rendering context for one message, reading the appointment's practitioner and location. */
export async function buildContext(
  ctx: AppContext,
  input: { patient?: Patient; appointment?: Appointment; clinic: ClinicProfile; locale: string; values?: Record<string, string> },
): Promise<KnownValues> {
  const { appointment } = input;
  const about = appointment
    ? { appointment, practitioner: await requirePractitioner(ctx, appointment.practitionerId), location: await requireLocation(ctx, appointment.locationId) }
    : undefined;
  return contextFor({ ...input, appointment: about });
}
