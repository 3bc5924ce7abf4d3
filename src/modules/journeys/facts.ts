import type { AppContext } from '../../context.js';
import { Appointment } from '../appointments/entities.js';
import { IntakeSession } from '../intake/entities.js';
import { Ticket } from '../tickets/entities.js';
import type { EventMatch } from './definition.js';
import type { ApplyPayload } from './subscriptions.js';

/** What a journey may test of an event: the patient it is about, its appointment, and the fields a filter reads. */
export type EventFacts = { patientId: string | null; appointmentId: string | null; fields: Record<string, unknown> };

/** The patient (and appointment) an event is about, and its fields: the payload, plus `appointment.*` for appointment events. */
export async function eventFacts(ctx: AppContext, event: ApplyPayload): Promise<EventFacts> {
  const fields: Record<string, unknown> = { ...event.payload };
  let patientId = typeof event.payload.patientId === 'string' ? event.payload.patientId : null;
  let appointmentId: string | null = null;
  if (event.entityType === 'patient') patientId = event.entityId;
  if (event.entityType === 'appointment') {
    const appointment = await ctx.em.findOne(Appointment, { id: event.entityId });
    if (appointment) {
      patientId = appointment.patientId;
      appointmentId = appointment.id;
      fields.appointment = { reason: appointment.reason ?? null, practitionerId: appointment.practitionerId, locationId: appointment.locationId, status: appointment.status };
    }
  }
  if (!patientId && event.entityType === 'ticket') patientId = (await ctx.em.findOne(Ticket, { id: event.entityId }))?.patientId ?? null;
  if (!patientId && event.entityType === 'intake_session') {
    const session = await ctx.em.findOne(IntakeSession, { id: event.entityId });
    patientId = session?.patientId ?? null;
    appointmentId = session?.appointmentId ?? null;
  }
  return { patientId, appointmentId, fields };
}

const valueAt = (fields: Record<string, unknown>, path: string): unknown =>
  path.split('.').reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), fields);

/** Whether the event is of the type and its fields hold the filter's values (a list: any of them). */
export function matches(match: EventMatch, type: string, facts: EventFacts): boolean {
  if (match.event !== type) return false;
  return Object.entries(match.where ?? {}).every(([path, wanted]) => {
    const value = valueAt(facts.fields, path);
    return Array.isArray(wanted) ? wanted.some((item) => item === value) : wanted === value;
  });
}
