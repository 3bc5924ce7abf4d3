import type { Appointment as FhirAppointment, AppointmentParticipant } from '@medplum/fhirtypes';
import { toIso } from '../../../schema.js';
import { Appointment, type AppointmentStatus } from '../../appointments/entities.js';
import { referenceTo } from '../references.js';
import { defineFhirType } from '../resource-type.js';
import { codeParameter, conditionsByCode, dateParameter, referenceParameter } from '../search-parameters.js';

type FhirStatus = FhirAppointment['status'];

/**
 * FHIR has no "confirmed": both booked and confirmed are `booked`, and the patient's participation
 * tells them apart (`needs-action` until the patient confirms, then `accepted`).
 */
export const appointmentStatusCodes: Record<AppointmentStatus, FhirStatus> = {
  booked: 'booked',
  confirmed: 'booked',
  checked_in: 'checked-in',
  completed: 'fulfilled',
  cancelled: 'cancelled',
  no_show: 'noshow',
};

const allFhirStatuses: readonly FhirStatus[] = ['proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error', 'checked-in', 'waitlist'];


function participants(appointment: Appointment): AppointmentParticipant[] {
  return [
    { actor: referenceTo('Patient', appointment.patientId), required: 'required', status: appointment.status === 'booked' ? 'needs-action' : 'accepted' },
    { actor: referenceTo('Practitioner', appointment.practitionerId), required: 'required', status: 'accepted' },
    { actor: referenceTo('Location', appointment.locationId), required: 'required', status: 'accepted' },
  ];
}

/** An appointment as FHIR: the patient, the practitioner and the location as participants; why as `reasonCode` text, staff notes as `comment`. */
export function appointmentResource(appointment: Appointment): FhirAppointment {
  return {
    resourceType: 'Appointment',
    id: appointment.id,
    meta: { lastUpdated: toIso(appointment.updatedAt) },
    status: appointmentStatusCodes[appointment.status],
    ...(appointment.cancelReason ? { cancelationReason: { text: appointment.cancelReason } } : {}),
    ...(appointment.reason ? { reasonCode: [{ text: appointment.reason }] } : {}),
    start: toIso(appointment.startAt),
    end: toIso(appointment.endAt),
    minutesDuration: Math.round((appointment.endAt.getTime() - appointment.startAt.getTime()) / 60_000),
    created: toIso(appointment.createdAt),
    ...(appointment.notes ? { comment: appointment.notes } : {}),
    participant: participants(appointment),
  };
}

export const appointmentType = defineFhirType<Appointment>({
  type: 'Appointment',
  entity: Appointment,
  patientParameter: 'patient',
  parameters: {
    patient: referenceParameter({ documentation: 'The patient the appointment is for.', targets: { Patient: 'patientId' } }),
    practitioner: referenceParameter({ documentation: 'The practitioner who sees the patient.', targets: { Practitioner: 'practitionerId' } }),
    location: referenceParameter({ documentation: 'Where it takes place.', targets: { Location: 'locationId' } }),
    actor: referenceParameter({
      documentation: 'Any participant: the patient, the practitioner or the location.',
      targets: { Patient: 'patientId', Practitioner: 'practitionerId', Location: 'locationId' },
    }),
    date: dateParameter({ documentation: 'When it starts.', property: 'startAt' }),
    status: codeParameter({ documentation: 'The FHIR status (booked covers booked and confirmed).', system: 'http://hl7.org/fhir/appointmentstatus', codes: conditionsByCode(appointmentStatusCodes, allFhirStatuses, 'status') }),
  },
  toResources: async (_ctx, rows) => rows.map(appointmentResource),
});
