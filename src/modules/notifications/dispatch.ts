import { insertRows, type Statement } from '../../db/statement.js';
import type { Sql } from '../../db/sql.js';
import { DomainEvent, eventRows } from '../../events.js';
import { jobDueAt, jobRow } from '../../jobs/enqueue.js';
import { Job } from '../../jobs/job.js';
import type { JobHandler } from '../../jobs/worker.js';
import { deliveryJob } from '../communications/outbound.js';
import { withdrawQueued } from '../communications/statements.js';
import { messagingSettings } from '../conversations/clinic.js';
import { DISPATCH_JOB, type DispatchPayload } from './jobs.js';
import { quietHoursEnd } from './quiet-hours.js';
import { addressFor } from './send.js';
import { dispatchInput, markDispatched, markSkipped, readDispatchInput, takeSendSlots, touchForDispatch, type DispatchInput, type SendSlot } from './statements.js';

/** Why a notification is not sent at its send time: a code for events, a sentence for staff. */
type Refusal = { code: 'patient_deleted' | 'patient_merged' | 'appointment_changed' | 'address_changed' | 'no_consent' | 'opted_out'; reason: string };

/**
 * The send-time checks, in order: the patient's record still active; the appointment it is about (if
 * any) still booked or confirmed, at the time it was written for (a reminder of a moved or cancelled
 * appointment is not sent, even before the reminders catch up with the change); their address for the
 * channel still the one it was scheduled to (a number given up may be someone else's now); their
 * consent for the purpose on the channel; no STOP on the number or address.
 */
function sendTimeRefusal({ notification, conversation, patient, appointment, consent }: DispatchInput): Refusal | undefined {
  if (!patient || patient.status === 'deleted') return { code: 'patient_deleted', reason: 'The patient’s record was deleted before the send time.' };
  if (patient.status === 'merged') return { code: 'patient_merged', reason: `The patient’s record was merged into ${patient.mergedIntoId} before the send time; nothing is sent to the old record.` };
  if (notification.appointmentId) {
    const current = appointment && ['booked', 'confirmed'].includes(appointment.status) && appointment.startAt.getTime() === notification.appointmentStartsAt?.getTime();
    if (!current) return { code: 'appointment_changed', reason: 'The appointment it is about was moved, cancelled or ended after this was written; it is not sent.' };
  }
  const { field, address } = addressFor(patient, notification.channel);
  if (address !== conversation.contact) {
    return { code: 'address_changed', reason: `The patient’s ${field === 'phone' ? 'phone number' : 'email address'} changed after this was scheduled; it is not sent to the old one.` };
  }
  if (consent !== 'granted') {
    return { code: 'no_consent', reason: `The patient has not consented to ${notification.purpose.replace('_', ' ')} on ${notification.channel}, or withdrew it.` };
  }
  if (conversation.optedOutAt) return { code: 'opted_out', reason: 'The patient opted out on this number or address (STOP); nothing is sent until they send START.' };
  return undefined;
}

/** A delivery job made by a dispatch, and when it is due. */
type Delivery = { id: string; runAt: Date };

/**
 * The send time of notifications due together (the `notification.dispatch` job: one per notification
 * sent alone, one per `DISPATCH_BATCH` of a bulk send), in one transaction of prepared statements: the
 * first reads them all and locks them (a cancel waits for it, or it for the cancel), the last writes
 * every outcome with the job's completion. Each notification has its own outcome:
 * - not `scheduled` any more (cancelled, or a run before this one finished it): nothing;
 * - a send-time check refuses it: `skipped` with the reason, and its message `not_sent` with it;
 * - inside the clinic's quiet hours: a job is made again for the end of them (checked again then);
 * - else `dispatched`, and its message's delivery job is due now, or at the clinic's next sending slot
 *   when it has a send rate (slots `1/rate` apart). The delivery sends it exactly once or marks it
 *   unknown (src/modules/communications/delivery.ts).
 */
export const dispatchNotification: JobHandler = async ({ services, tenant, job, complete }) => {
  const payload = job.payload as DispatchPayload;
  const notificationIds = 'notificationIds' in payload ? payload.notificationIds : [payload.notificationId];
  const { orm, clock } = services;
  const deliveries = await services.sql.transaction(async (sql): Promise<Delivery[]> => {
    const rows = await sql.query(dispatchInput(orm, { tenantId: tenant.id, notificationIds }));
    const due = rows.map((row) => readDispatchInput(orm, row)).filter((input) => input.notification.state === 'scheduled');
    if (due.length === 0) {
      await complete(sql);
      return [];
    }
    const now = clock.now();
    const writes: Statement[] = [];
    const events: ReturnType<typeof eventRows>[] = [];
    const event = (input: DispatchInput, type: string, payload: Record<string, unknown> = {}) =>
      events.push(eventRows(tenant.id, { type, entityType: 'notification', entityId: input.notification.id, payload: { communicationId: input.notification.communicationId, ...payload } }, now));

    const refused = due.flatMap((input) => {
      const refusal = sendTimeRefusal(input);
      return refusal ? [{ input, refusal }] : [];
    });
    if (refused.length > 0) {
      writes.push(
        markSkipped({ tenantId: tenant.id, skipped: refused.map(({ input, refusal }) => ({ notificationId: input.notification.id, reason: refusal.reason })), now }),
        withdrawQueued({ tenantId: tenant.id, withdrawn: refused.map(({ input, refusal }) => ({ communicationId: input.notification.communicationId, reason: refusal.reason })), now }),
      );
      for (const { input, refusal } of refused) event(input, 'notification.skipped', { reason: refusal.code });
    }
    const sendable = due.filter((input) => !refused.some((one) => one.input === input));

    const settings = messagingSettings({ profile: due[0].clinicProfile });
    const quietUntil = settings.quietHours ? quietHoursEnd(now, settings.quietHours, tenant.timeZone) : null;
    const deliveries: Job[] = [];
    if (sendable.length > 0 && quietUntil) {
      const later: DispatchPayload = { notificationIds: sendable.map((input) => input.notification.id) };
      writes.push(insertRows(orm, Job, [jobRow({ tenantId: tenant.id, kind: DISPATCH_JOB, payload: later }, jobDueAt(clock, quietUntil))]));
    } else if (sendable.length > 0) {
      const slots = await sendSlots(sql, tenant.id, settings.sendRatePerSecond, sendable.length);
      sendable.forEach((input, index) => {
        deliveries.push(deliveryJob({ tenantId: tenant.id, conversationId: input.communication.conversationId, messageId: input.notification.communicationId, runAt: slots[index] }));
        event(input, 'notification.dispatched');
      });
      writes.push(
        markDispatched({ tenantId: tenant.id, notificationIds: sendable.map((input) => input.notification.id), now }),
        touchForDispatch({ tenantId: tenant.id, messages: sendable.map((input) => input.communication), now }),
      );
    }

    const jobs = [...deliveries, ...events.flatMap((rows) => rows.jobs)];
    if (events.length > 0) writes.push(insertRows(orm, DomainEvent, events.map((rows) => rows.event)));
    if (jobs.length > 0) writes.push(insertRows(orm, Job, jobs));
    await complete(sql, writes);
    return deliveries.map((delivery) => ({ id: delivery.id, runAt: delivery.runAt }));
  });
  for (const delivery of deliveries) services.jobs.wakeAt(delivery.id, delivery.runAt);
};

/** When each of `count` messages may leave: now, or the clinic's next slots at its send rate (see `takeSendSlots`). */
async function sendSlots(sql: Sql, tenantId: string, ratePerSecond: number | null, count: number): Promise<Date[]> {
  if (!ratePerSecond) return Array.from({ length: count }, () => new Date());
  const intervalMs = 1000 / ratePerSecond;
  const [row] = await sql.query<SendSlot>(takeSendSlots({ tenantId, intervalMs, count }));
  const first = row.slot instanceof Date ? row.slot.getTime() : new Date(row.slot).getTime();
  return Array.from({ length: count }, (_, index) => new Date(first + index * intervalMs));
}
