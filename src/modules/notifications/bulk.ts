import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { fieldError, parseBound } from '../appointments/time.js';
import { Appointment } from '../appointments/entities.js';
import { Patient } from '../patients/entities.js';
import { renderTemplateForEach, type RenderRecipient } from '../templates/service.js';
import { newId } from '../../ids.js';
import type { Notification } from './entities.js';
import { MAX_RECIPIENTS, type refusalCodes, type SendBulkNotificationInput } from './schema.js';
import { addressFor, checkedSendAt, noAddressReason, parseSendAt } from './send.js';
import { existingByDedupeKey, storeNotifications, type PreparedNotification } from './store.js';

type Input = z.output<typeof SendBulkNotificationInput>;
type Refusal = { patientId: string; code: (typeof refusalCodes)[number]; reason: string };
/** A patient the send is for, as found: the record (if any), and their appointment that day (the filter's). */
type Candidate = { patientId: string; patient: Patient | undefined; appointment?: Appointment };

/** Appointments a "patients seen on this day" message is for: still to happen. */
const DAY_STATUSES = ['booked', 'confirmed'] as const;

/** The patients named, each once, in the order given; one query. */
async function namedPatients(ctx: AppContext, ids: readonly string[]): Promise<Candidate[]> {
  const unique = [...new Set(ids)];
  const found = await ctx.em.find(Patient, { id: { $in: unique } }, { disableIdentityMap: true });
  const byId = new Map(found.map((patient) => [patient.id, patient]));
  return unique.map((patientId) => ({ patientId, patient: byId.get(patientId) }));
}

/** Every patient with an appointment on the clinic-local day (at the location, with the practitioner), with their first one; a query each. */
async function patientsSeenOn(ctx: AppContext, recipients: Input['recipients'] & { appointmentsOn: string }): Promise<Candidate[]> {
  const timeZone = ctx.tenant.timeZone;
  const from = parseBound(recipients.appointmentsOn, timeZone, 'recipients.appointmentsOn', 'from').toJSDate();
  const to = parseBound(recipients.appointmentsOn, timeZone, 'recipients.appointmentsOn', 'to').toJSDate();
  const appointments = await ctx.em.find(
    Appointment,
    {
      startAt: { $gte: from, $lt: to },
      status: { $in: [...DAY_STATUSES] },
      ...(recipients.locationId ? { locationId: recipients.locationId } : {}),
      ...(recipients.practitionerId ? { practitionerId: recipients.practitionerId } : {}),
    },
    { orderBy: [{ startAt: 'asc' }, { id: 'asc' }], disableIdentityMap: true },
  );
  const first = new Map<string, Appointment>();
  for (const appointment of appointments) if (!first.has(appointment.patientId)) first.set(appointment.patientId, appointment);
  if (first.size > MAX_RECIPIENTS) {
    throw fieldError('unprocessable', 'recipients', `The filter matches ${first.size} patients; a bulk send goes to at most ${MAX_RECIPIENTS}. Narrow it by location or practitioner.`, {
      details: { matched: first.size, limit: MAX_RECIPIENTS },
    });
  }
  const found = first.size === 0 ? [] : await ctx.em.find(Patient, { id: { $in: [...first.keys()] } }, { disableIdentityMap: true });
  const byId = new Map(found.map((patient) => [patient.id, patient]));
  return [...first.entries()].map(([patientId, appointment]) => ({ patientId, patient: byId.get(patientId), appointment }));
}

/** Why a found patient cannot be sent to at all, if so. */
function refusalOf(candidate: Candidate, channel: Input['channel']): Refusal | undefined {
  const { patient, patientId } = candidate;
  if (!patient) return { patientId, code: 'patient_not_found', reason: `Patient ${patientId} was not found.` };
  if (patient.status === 'deleted') return { patientId, code: 'patient_deleted', reason: `Patient ${patientId} was deleted.` };
  if (patient.status === 'merged') return { patientId, code: 'patient_merged', reason: `Patient ${patientId} was merged into ${patient.mergedIntoId}; send to that record.` };
  const { field, address } = addressFor(patient, channel);
  if (!address) return { patientId, code: 'no_address', reason: noAddressReason(channel, field) };
  return undefined;
}

/**
 * One template to many patients, each with a notification of their own and an outcome of their own:
 * one patient's problem (not found, deleted or merged, no address for the channel, a variable without
 * a value for them) refuses that patient and no other. Patients and appointments are read with one
 * query each, every message is rendered in memory, and each table is written with a few multi-row
 * inserts (per 500): the time does not grow with round trips per patient. With a `dedupeKey`, each
 * patient's key is `<dedupeKey>:<patientId>`, and a patient who has one gets nothing new.
 */
export async function sendBulkNotification(ctx: AppContext, input: Input) {
  const sendAt = checkedSendAt(ctx, parseSendAt(ctx, input.sendAt));
  const { recipients } = input;
  const candidates = recipients.appointmentsOn !== undefined ? await patientsSeenOn(ctx, { ...recipients, appointmentsOn: recipients.appointmentsOn }) : await namedPatients(ctx, recipients.patientIds ?? []);
  const keyOf = (patientId: string) => (input.dedupeKey === undefined ? null : `${input.dedupeKey}:${patientId}`);
  const existing = input.dedupeKey === undefined ? new Map<string, Notification>() : await existingByDedupeKey(ctx, candidates.map((candidate) => keyOf(candidate.patientId) ?? ''));

  const notifications: { patientId: string; notificationId: string; deduplicated: boolean }[] = [];
  const refused: Refusal[] = [];
  const sendable: (Candidate & { patient: Patient; contact: string })[] = [];
  for (const candidate of candidates) {
    const before = existing.get(keyOf(candidate.patientId) ?? '');
    if (before) {
      notifications.push({ patientId: candidate.patientId, notificationId: before.id, deduplicated: true });
      continue;
    }
    const refusal = refusalOf(candidate, input.channel);
    if (refusal) refused.push(refusal);
    else if (candidate.patient) sendable.push({ ...candidate, patient: candidate.patient, contact: addressFor(candidate.patient, input.channel).address ?? '' });
  }

  const outcomes = await renderTemplateForEach(ctx, {
    ...input.template,
    channel: input.channel,
    values: input.values,
    recipients: sendable.map((candidate): RenderRecipient => ({ patient: candidate.patient, appointment: candidate.appointment })),
  });
  const prepared: PreparedNotification[] = [];
  outcomes.forEach((outcome, index) => {
    const candidate = sendable[index];
    if (!outcome.ok) {
      refused.push({ patientId: candidate.patientId, code: outcome.error.details?.missing ? 'missing_variable' : 'not_rendered', reason: outcome.error.message });
      return;
    }
    prepared.push({
      patientId: candidate.patientId,
      contact: candidate.contact,
      body: outcome.message.body,
      subject: outcome.message.subject ?? null,
      contentSid: outcome.message.contentSid ?? null,
      contentVariables: outcome.message.contentVariables ?? null,
      templateId: outcome.message.templateId,
      templateVersion: outcome.message.version,
      appointmentId: candidate.appointment?.id ?? null,
      appointmentStartsAt: candidate.appointment?.startAt ?? null,
      dedupeKey: keyOf(candidate.patientId),
    });
  });

  const batchId = newId();
  const stored = await storeNotifications(ctx, { channel: input.channel, purpose: input.purpose, sendAt, batchId }, prepared);
  for (const item of stored) notifications.push({ patientId: item.patientId, notificationId: item.notification.id, deduplicated: item.deduplicated });
  const deduplicated = notifications.filter((item) => item.deduplicated).length;
  return { batchId, accepted: notifications.length - deduplicated, deduplicated, notifications, refused };
}
