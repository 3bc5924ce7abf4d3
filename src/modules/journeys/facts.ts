import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { Appointment } from '../appointments/entities.js';
import { getCommunication } from '../communications/service.js';
import { IntakeSession } from '../intake/entities.js';
import { onlyPatientWithContact } from '../patients/lookup.js';
import { Ticket } from '../tickets/entities.js';
import type { EventMatch } from './definition.js';
import type { ApplyPayload } from './subscriptions.js';

/** What a journey may test of an event: the patient it is about, its appointment, and the fields a filter reads. */
export type EventFacts = { patientId: string | null; appointmentId: string | null; fields: Record<string, unknown> };

/**
 * The patient (and appointment) an event is about, and its fields: the payload, plus `appointment.*`
 * for appointment events and `message.*` for a patient's message (its text and words, lowercased, and
 * its channel: a way forward may wait for a reply that says "yes").
 */
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
  if (event.type === 'communication.created' && event.payload.direction === 'inbound') {
    const message = await inboundMessage(ctx, event.entityId);
    if (message) {
      const text = normalized(message.body);
      fields.message = { text, words: text.match(/[\p{L}\p{N}]+/gu) ?? [], channel: message.channel };
      // A conversation is the patient's once they verified in it; before that, a reply to what the
      // clinic sent them comes from their number: the patient it is on record for, if only one.
      patientId ??= await onlyPatientWithContact(ctx, message.channel, message.contact);
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

/** Lowercased, spaces collapsed: what `message.text` holds and a filter on it is compared as. */
const normalized = (text: string) => text.toLowerCase().replace(/\s+/g, ' ').trim();

/** The patient's message; null when it is gone (a patient's messages are removed with them). */
async function inboundMessage(ctx: AppContext, communicationId: string) {
  return getCommunication(ctx, communicationId).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'not_found') return null;
    throw error;
  });
}

const valueAt = (fields: Record<string, unknown>, path: string): unknown =>
  path.split('.').reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), fields);

/**
 * Whether the event is of the type and its fields hold the filter's values (a list: any of them). A
 * field that is a list (`message.words`) holds a value when it contains it; `message.*` compares text
 * without regard to case.
 */
export function matches(match: EventMatch, type: string, facts: EventFacts): boolean {
  if (match.event !== type) return false;
  return Object.entries(match.where ?? {}).every(([path, wanted]) => {
    const value = valueAt(facts.fields, path);
    const text = path.startsWith('message.');
    const holds = (item: string | number | boolean) => {
      const expected = text && typeof item === 'string' ? normalized(item) : item;
      return Array.isArray(value) ? value.includes(expected) : value === expected;
    };
    return Array.isArray(wanted) ? wanted.some(holds) : holds(wanted);
  });
}
