import { defineOperation } from '../../tools/operation.js';
import {
  AddTimeOffOutput,
  AppointmentView,
  BookAppointmentInput,
  CancelAppointmentInput,
  GetAppointmentInput,
  ListAppointmentsInput,
  ListAppointmentsOutput,
  RescheduleAppointmentInput,
  SearchSlotsInput,
  SearchSlotsOutput,
  StatusChangeInput,
} from './appointment-schema.js';
import * as appointments from './appointments.js';
import * as booking from './booking.js';
import * as locations from './locations.js';
import * as practitioners from './practitioners.js';
import * as schedules from './schedules.js';
import {
  AddTimeOffInput,
  CreateLocationInput,
  CreatePractitionerInput,
  GetPractitionerInput,
  ListLocationsInput,
  ListLocationsOutput,
  ListPractitionersInput,
  ListPractitionersOutput,
  ListTimeOffInput,
  ListTimeOffOutput,
  LocationView,
  PractitionerView,
  PractitionerWithSchedule,
  RemoveTimeOffInput,
  SetWeeklyScheduleInput,
  TimeOffView,
  UpdateLocationInput,
  UpdatePractitionerInput,
} from './schema.js';
import { searchSlots } from './slots.js';
import { changeStatus } from './status.js';

const tag = 'appointments';
const readOnly = { readOnly: true, destructive: false, idempotent: true };
const staff = { roles: ['staff'] } as const;
/** Changes one appointment: the agent may too, and in a patient conversation only the patient's own. */
const appointmentAccess = { roles: ['staff', 'agent'], patientScoped: true, phi: true } as const;
/** The same, offered to the patient-facing agent as tools. */
const patientAppointmentAccess = { ...appointmentAccess, patientFacing: true } as const;
/** Reading the clinic's offer: the patient-facing agent may too. */
const offerAccess = { roles: ['staff', 'agent'], patientFacing: true } as const;

const setupOperations = [
  defineOperation({
    name: 'create_location',
    title: 'Create a location',
    description: 'Adds a place where the clinic’s practitioners see patients. Weekly schedules name a location.',
    tag,
    input: CreateLocationInput,
    output: LocationView,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: staff,
    http: { method: 'post', path: '/locations', status: 201 },
    run: (ctx, input) => locations.createLocation(ctx, input),
  }),
  defineOperation({
    name: 'list_locations',
    title: 'List locations',
    description: 'The clinic’s locations by name, optionally only active or inactive ones.',
    tag,
    input: ListLocationsInput,
    output: ListLocationsOutput,
    annotations: readOnly,
    access: offerAccess,
    http: { method: 'get', path: '/locations' },
    run: (ctx, input) => locations.listLocations(ctx, input),
  }),
  defineOperation({
    name: 'update_location',
    title: 'Update a location',
    description: 'Changes a location’s name, address or phone, or deactivates it (no more slots there). Only the fields given change.',
    tag,
    input: UpdateLocationInput,
    output: LocationView,
    annotations: { readOnly: false, destructive: false, idempotent: true },
    access: staff,
    http: { method: 'patch', path: '/locations/{id}' },
    run: (ctx, input) => locations.updateLocation(ctx, input),
  }),
  defineOperation({
    name: 'create_practitioner',
    title: 'Create a practitioner',
    description: 'Adds a practitioner (doctor, therapist ...). Set a weekly schedule next so that slots are offered.',
    tag,
    input: CreatePractitionerInput,
    output: PractitionerView,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: staff,
    http: { method: 'post', path: '/practitioners', status: 201 },
    run: (ctx, input) => practitioners.createPractitioner(ctx, input),
  }),
  defineOperation({
    name: 'list_practitioners',
    title: 'List practitioners',
    description: 'The clinic’s practitioners by name, filtered by active and specialty. Use it to find practitioner ids for search_slots.',
    tag,
    input: ListPractitionersInput,
    output: ListPractitionersOutput,
    annotations: readOnly,
    access: offerAccess,
    http: { method: 'get', path: '/practitioners' },
    run: (ctx, input) => practitioners.listPractitioners(ctx, input),
  }),
  defineOperation({
    name: 'get_practitioner',
    title: 'Get a practitioner',
    description: 'One practitioner with the weekly schedule (windows in clinic local time).',
    tag,
    input: GetPractitionerInput,
    output: PractitionerWithSchedule,
    annotations: readOnly,
    access: offerAccess,
    http: { method: 'get', path: '/practitioners/{id}' },
    run: (ctx, input) => practitioners.getPractitioner(ctx, input.id),
  }),
  defineOperation({
    name: 'update_practitioner',
    title: 'Update a practitioner',
    description: 'Changes a practitioner’s details; active: false deactivates (no slots, no new bookings; booked appointments stay).',
    tag,
    input: UpdatePractitionerInput,
    output: PractitionerView,
    annotations: { readOnly: false, destructive: false, idempotent: true },
    access: staff,
    http: { method: 'patch', path: '/practitioners/{id}' },
    run: (ctx, input) => practitioners.updatePractitioner(ctx, input),
  }),
  defineOperation({
    name: 'set_weekly_schedule',
    title: 'Set a weekly schedule',
    description:
      'Replaces a practitioner’s weekly working windows (weekday, local start and end time, slot length, location, optional validity dates). Windows on the same weekday must not overlap.',
    tag,
    input: SetWeeklyScheduleInput,
    output: PractitionerWithSchedule,
    annotations: { readOnly: false, destructive: true, idempotent: true },
    access: staff,
    http: { method: 'put', path: '/practitioners/{id}/schedule' },
    run: (ctx, input) => schedules.setWeeklySchedule(ctx, input),
  }),
  defineOperation({
    name: 'add_time_off',
    title: 'Add time off',
    description:
      'Blocks a period for a practitioner: no slots are offered in it. Appointments already booked in it are kept and returned as affectedAppointments, to reschedule or cancel.',
    tag,
    input: AddTimeOffInput,
    output: AddTimeOffOutput,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: { roles: ['staff'], phi: true },
    http: { method: 'post', path: '/practitioners/{id}/time-off', status: 201 },
    run: (ctx, input) => schedules.addTimeOff(ctx, input),
  }),
  defineOperation({
    name: 'list_time_off',
    title: 'List time off',
    description: 'A practitioner’s time off overlapping a range (default: not over yet), earliest first.',
    tag,
    input: ListTimeOffInput,
    output: ListTimeOffOutput,
    annotations: readOnly,
    access: staff,
    http: { method: 'get', path: '/practitioners/{id}/time-off' },
    run: (ctx, input) => schedules.listTimeOff(ctx, input),
  }),
  defineOperation({
    name: 'remove_time_off',
    title: 'Remove time off',
    description: 'Deletes a time off entry; its slots are offered again.',
    tag,
    input: RemoveTimeOffInput,
    output: TimeOffView,
    annotations: { readOnly: false, destructive: true, idempotent: true },
    access: staff,
    http: { method: 'delete', path: '/practitioners/{id}/time-off/{timeOffId}' },
    run: (ctx, input) => schedules.removeTimeOff(ctx, input),
  }),
];

const statusOperation = (options: {
  name: string;
  title: string;
  description: string;
  target: 'confirmed' | 'checked_in' | 'completed' | 'no_show';
  path: string;
  idempotent: boolean;
  patientFacing?: boolean;
}) =>
  defineOperation({
    name: options.name,
    title: options.title,
    description: options.description,
    tag,
    input: StatusChangeInput,
    output: AppointmentView,
    annotations: { readOnly: false, destructive: false, idempotent: options.idempotent },
    access: options.patientFacing ? patientAppointmentAccess : appointmentAccess,
    http: { method: 'post', path: `/appointments/{id}/${options.path}` },
    run: (ctx, input) => changeStatus(ctx, { ...input, target: options.target }),
  });

const appointmentOperationList = [
  defineOperation({
    name: 'search_slots',
    title: 'Search free slots',
    description:
      'Free appointment slots between two dates or instants (at most 62 days), optionally for given practitioners, a location or a specialty. Past slots, time off and booked times are left out. Book one with book_appointment.',
    tag,
    input: SearchSlotsInput,
    output: SearchSlotsOutput,
    annotations: readOnly,
    access: offerAccess,
    http: { method: 'get', path: '/slots' },
    run: (ctx, input) => searchSlots(ctx, input),
  }),
  defineOperation({
    name: 'book_appointment',
    title: 'Book an appointment',
    description:
      'Books the patient into a free slot found with search_slots (practitionerId and startAt). Answers 409 if the time was taken meanwhile: search again.',
    tag,
    input: BookAppointmentInput,
    output: AppointmentView,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: patientAppointmentAccess,
    http: { method: 'post', path: '/appointments', status: 201 },
    run: (ctx, input) => booking.bookAppointment(ctx, input),
  }),
  defineOperation({
    name: 'reschedule_appointment',
    title: 'Reschedule an appointment',
    description:
      'Moves a booked or confirmed appointment to another free slot (optionally with another practitioner). It becomes booked again: confirm the new time separately.',
    tag,
    input: RescheduleAppointmentInput,
    output: AppointmentView,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: patientAppointmentAccess,
    http: { method: 'post', path: '/appointments/{id}/reschedule' },
    run: (ctx, input) => booking.rescheduleAppointment(ctx, input),
  }),
  defineOperation({
    name: 'cancel_appointment',
    title: 'Cancel an appointment',
    description: 'Cancels a booked or confirmed appointment with a reason; its time becomes free. Final.',
    tag,
    input: CancelAppointmentInput,
    output: AppointmentView,
    annotations: { readOnly: false, destructive: true, idempotent: false },
    access: patientAppointmentAccess,
    http: { method: 'post', path: '/appointments/{id}/cancel' },
    run: (ctx, input) => changeStatus(ctx, { id: input.id, patientId: input.patientId, target: 'cancelled', reason: input.reason }),
  }),
  statusOperation({
    name: 'confirm_appointment',
    title: 'Confirm an appointment',
    description: 'Records that the patient confirmed a booked appointment. Confirming a confirmed appointment changes nothing.',
    target: 'confirmed',
    path: 'confirm',
    idempotent: true,
    patientFacing: true,
  }),
  statusOperation({
    name: 'check_in_appointment',
    title: 'Check in',
    description: 'Records that the patient arrived for a booked or confirmed appointment.',
    target: 'checked_in',
    path: 'check-in',
    idempotent: false,
  }),
  statusOperation({
    name: 'complete_appointment',
    title: 'Complete an appointment',
    description: 'Records that a checked-in patient was seen. Final.',
    target: 'completed',
    path: 'complete',
    idempotent: false,
  }),
  statusOperation({
    name: 'mark_no_show',
    title: 'Mark a no-show',
    description: 'Records, once the start time has passed, that the patient did not come (or checked in and left unseen). Final; the time is freed.',
    target: 'no_show',
    path: 'no-show',
    idempotent: false,
  }),
  defineOperation({
    name: 'get_appointment',
    title: 'Get an appointment',
    description: 'One appointment, with its times in UTC and clinic local time and the statuses it may move to.',
    tag,
    input: GetAppointmentInput,
    output: AppointmentView,
    annotations: readOnly,
    access: patientAppointmentAccess,
    http: { method: 'get', path: '/appointments/{id}' },
    run: (ctx, input) => appointments.getAppointment(ctx, input),
  }),
  defineOperation({
    name: 'list_appointments',
    title: 'List appointments',
    description: 'Appointments by start time, earliest first, filtered by patient, practitioner, location, status and time range.',
    tag,
    input: ListAppointmentsInput,
    output: ListAppointmentsOutput,
    annotations: readOnly,
    access: patientAppointmentAccess,
    http: { method: 'get', path: '/appointments' },
    run: (ctx, input) => appointments.listAppointments(ctx, input),
  }),
];

export const appointmentOperations = [...setupOperations, ...appointmentOperationList];
