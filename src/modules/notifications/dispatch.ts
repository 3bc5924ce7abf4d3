import { LockMode } from '@mikro-orm/core';
import { createContext, type AppContext, type Caller, type TenantInfo } from '../../context.js';
import { ormSql } from '../../db/sql.js';
import { insertRows } from '../../db/statement.js';
import { recordEvent } from '../../events.js';
import { jobRow } from '../../jobs/enqueue.js';
import { Job } from '../../jobs/job.js';
import type { JobHandler } from '../../jobs/worker.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { Appointment } from '../appointments/entities.js';
import { Communication } from '../communications/entities.js';
import { deliveryJob, withdrawOutbound } from '../communications/outbound.js';
import { messagingSettings } from '../conversations/clinic.js';
import { Conversation } from '../conversations/entities.js';
import { Patient } from '../patients/entities.js';
import { hasConsent } from '../patients/service.js';
import { Tenant } from '../tenancy/entities.js';
import { Notification } from './entities.js';
import { DISPATCH_JOB, type DispatchPayload } from './jobs.js';
import { quietHoursEnd } from './quiet-hours.js';
import { addressFor } from './send.js';
import { takeSendSlot, type SendSlot } from './statements.js';
import { jobDueAt } from './store.js';

const systemCaller = (tenant: TenantInfo): Caller => ({ tenant, actor: { kind: 'system', id: 'notifications', role: 'system' }, channel: 'system' });

/** Why a notification is not sent at its send time: a code for events, a sentence for staff. */
type Refusal = { code: 'patient_deleted' | 'patient_merged' | 'appointment_changed' | 'address_changed' | 'no_consent' | 'opted_out'; reason: string };

/**
 * The send-time checks, in order: the patient's record still active; the appointment it is about (if
 * any) still booked or confirmed, at the time it was written for (a reminder of a moved or cancelled
 * appointment is not sent, even before the reminders catch up with the change); their address for the
 * channel still the one it was scheduled to (a number given up may be someone else's now); their
 * consent for the purpose on the channel; no STOP on the number or address.
 */
async function sendTimeRefusal(ctx: AppContext, notification: Notification, conversation: Conversation): Promise<Refusal | undefined> {
  const patient = await ctx.em.findOne(Patient, { id: notification.patientId });
  if (!patient || patient.status === 'deleted') return { code: 'patient_deleted', reason: 'The patient’s record was deleted before the send time.' };
  if (patient.status === 'merged') return { code: 'patient_merged', reason: `The patient’s record was merged into ${patient.mergedIntoId} before the send time; nothing is sent to the old record.` };
  if (notification.appointmentId) {
    const appointment = await ctx.em.findOne(Appointment, { id: notification.appointmentId });
    const current = appointment && ['booked', 'confirmed'].includes(appointment.status) && appointment.startAt.getTime() === notification.appointmentStartsAt?.getTime();
    if (!current) return { code: 'appointment_changed', reason: 'The appointment it is about was moved, cancelled or ended after this was written; it is not sent.' };
  }
  const { field, address } = addressFor(patient, notification.channel);
  if (address !== conversation.contact) {
    return { code: 'address_changed', reason: `The patient’s ${field === 'phone' ? 'phone number' : 'email address'} changed after this was scheduled; it is not sent to the old one.` };
  }
  if (!(await hasConsent(ctx, { patientId: patient.id, channel: notification.channel, purpose: notification.purpose }))) {
    return { code: 'no_consent', reason: `The patient has not consented to ${notification.purpose.replace('_', ' ')} on ${notification.channel}, or withdrew it.` };
  }
  if (conversation.optedOutAt) return { code: 'opted_out', reason: 'The patient opted out on this number or address (STOP); nothing is sent until they send START.' };
  return undefined;
}

/**
 * A notification's send time (the `notification.dispatch` job), in one transaction with the
 * notification locked (a cancel waits for it, or it for the cancel):
 * - not `scheduled` any more (cancelled, or a run before this one finished it): nothing;
 * - a send-time check refuses it: `skipped` with the reason, and its message `not_sent` with it;
 * - inside the clinic's quiet hours: the job is made again for the end of them (checked again then);
 * - else `dispatched`, and its message's delivery job is due now, or at the clinic's next sending
 *   slot when it has a send rate. The delivery sends it exactly once or marks it unknown (delivery.ts).
 */
export const dispatchNotification: JobHandler = async ({ services, tenant, job, complete }) => {
  const { notificationId } = job.payload as DispatchPayload;
  const dueNow = await tenantEntityManager(services, tenant.id).transactional(async (em): Promise<string[]> => {
    const ctx = createContext(services, systemCaller(tenant), em);
    const sql = ormSql(em);
    const notification = await em.findOne(Notification, { id: notificationId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!notification || notification.state !== 'scheduled') {
      await complete(sql);
      return [];
    }
    const now = ctx.clock.now();
    const communication = await em.findOneOrFail(Communication, { id: notification.communicationId });
    const conversation = await em.findOneOrFail(Conversation, { id: communication.conversationId });

    const refusal = await sendTimeRefusal(ctx, notification, conversation);
    if (refusal) {
      notification.state = 'skipped';
      notification.skipReason = refusal.reason;
      notification.updatedAt = now;
      await withdrawOutbound(ctx, communication.id, refusal.reason);
      recordEvent(ctx, { type: 'notification.skipped', entityType: 'notification', entityId: notification.id, payload: { communicationId: communication.id, reason: refusal.code } });
      await complete(sql);
      return [];
    }

    const settings = messagingSettings(await em.findOneOrFail(Tenant, { id: tenant.id }));
    const quietUntil = settings.quietHours ? quietHoursEnd(now, settings.quietHours, tenant.timeZone) : null;
    if (quietUntil) {
      const payload: DispatchPayload = { notificationId };
      await complete(sql, [insertRows(services.orm, Job, [jobRow({ tenantId: tenant.id, kind: DISPATCH_JOB, payload }, jobDueAt(ctx.clock, quietUntil))])]);
      return [];
    }

    const slot = settings.sendRatePerSecond ? await sendSlot(ctx, 1000 / settings.sendRatePerSecond) : new Date();
    const delivery = em.create(Job, deliveryJob({ tenantId: tenant.id, conversationId: conversation.id, messageId: communication.id, runAt: slot }));
    notification.state = 'dispatched';
    notification.dispatchedAt = now;
    notification.updatedAt = now;
    if (!conversation.lastMessageAt || conversation.lastMessageAt < communication.createdAt) conversation.lastMessageAt = communication.createdAt;
    recordEvent(ctx, { type: 'notification.dispatched', entityType: 'notification', entityId: notification.id, payload: { communicationId: communication.id } });
    await complete(sql);
    return slot.getTime() <= Date.now() ? [delivery.id] : [];
  });
  services.jobs.nudge(dueNow);
};

/** The clinic's next sending slot (see `takeSendSlot`). */
async function sendSlot(ctx: AppContext, intervalMs: number): Promise<Date> {
  const [row] = await ormSql(ctx.em).query<SendSlot>(takeSendSlot({ tenantId: ctx.tenant.id, intervalMs }));
  return row.slot instanceof Date ? row.slot : new Date(row.slot);
}
