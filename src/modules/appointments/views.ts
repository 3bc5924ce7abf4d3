import { toIso, toIsoOrNull } from '../../schema.js';
import type { AppointmentView } from './appointment-schema.js';
import type { Appointment, Location, Practitioner, ScheduleException, ScheduleRule } from './entities.js';
import type { LocationView, PractitionerView, TimeOffView } from './schema.js';
import { localIso } from './time.js';
import { allowedTransitions } from './transitions.js';

/** Entity → view mappers: UTC instants as ISO text, plus the clinic's local time where a person reads it. */

export const locationView = (location: Location): LocationView => ({
  id: location.id,
  name: location.name,
  address: location.address ?? null,
  phone: location.phone ?? null,
  active: location.active,
  createdAt: toIso(location.createdAt),
  updatedAt: toIso(location.updatedAt),
});

export const practitionerView = (practitioner: Practitioner): PractitionerView => ({
  id: practitioner.id,
  name: practitioner.name,
  specialty: practitioner.specialty ?? null,
  email: practitioner.email ?? null,
  phone: practitioner.phone ?? null,
  active: practitioner.active,
  createdAt: toIso(practitioner.createdAt),
  updatedAt: toIso(practitioner.updatedAt),
});

export const ruleView = (rule: ScheduleRule) => ({
  id: rule.id,
  weekday: rule.weekday,
  startTime: rule.startTime,
  endTime: rule.endTime,
  slotMinutes: rule.slotMinutes,
  locationId: rule.locationId,
  validFrom: rule.validFrom ?? null,
  validUntil: rule.validUntil ?? null,
});

export const timeOffView = (timeOff: ScheduleException, timeZone: string): TimeOffView => ({
  id: timeOff.id,
  practitionerId: timeOff.practitionerId,
  startsAt: toIso(timeOff.startsAt),
  endsAt: toIso(timeOff.endsAt),
  startsLocal: localIso(timeOff.startsAt.getTime(), timeZone),
  endsLocal: localIso(timeOff.endsAt.getTime(), timeZone),
  timeZone,
  reason: timeOff.reason ?? null,
  createdAt: toIso(timeOff.createdAt),
});

export const appointmentView = (appointment: Appointment, timeZone: string): AppointmentView => ({
  id: appointment.id,
  patientId: appointment.patientId,
  practitionerId: appointment.practitionerId,
  locationId: appointment.locationId,
  startAt: toIso(appointment.startAt),
  endAt: toIso(appointment.endAt),
  startLocal: localIso(appointment.startAt.getTime(), timeZone),
  endLocal: localIso(appointment.endAt.getTime(), timeZone),
  timeZone,
  status: appointment.status,
  allowedNextStatuses: [...allowedTransitions[appointment.status]],
  reason: appointment.reason ?? null,
  notes: appointment.notes ?? null,
  cancelReason: appointment.cancelReason ?? null,
  confirmedAt: toIsoOrNull(appointment.confirmedAt),
  checkedInAt: toIsoOrNull(appointment.checkedInAt),
  completedAt: toIsoOrNull(appointment.completedAt),
  cancelledAt: toIsoOrNull(appointment.cancelledAt),
  createdAt: toIso(appointment.createdAt),
  updatedAt: toIso(appointment.updatedAt),
});
