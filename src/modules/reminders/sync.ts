import { createContext, type AppContext, type Caller, type TenantInfo } from '../../context.js';
import { AppError } from '../../errors.js';
import { recordEvent } from '../../events.js';
import type { JobHandler } from '../../jobs/worker.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { Appointment } from '../appointments/entities.js';
import { messagingSettings } from '../conversations/clinic.js';
import type { ReminderSetting } from '../conversations/schema.js';
import { Notification } from '../notifications/entities.js';
import { cancelNotification, scheduleNotification } from '../notifications/service.js';
import { Patient } from '../patients/entities.js';
import { Tenant } from '../tenancy/entities.js';
import type { RemindersPayload } from './subscriptions.js';

const systemCaller = (tenant: TenantInfo): Caller => ({ tenant, actor: { kind: 'system', id: 'reminders', role: 'system' }, channel: 'system' });

type Channel = ReminderSetting['channels'][number];

/** The channel a patient is reminded on: their own preference when the clinic uses it and they have an address for it, else the clinic's first such. */
export function reminderChannel(patient: Pick<Patient, 'phone' | 'email' | 'preferredChannel'>, channels: readonly Channel[]): Channel | undefined {
  const reachable = (channel: Channel) => (channel === 'email' ? Boolean(patient.email) : Boolean(patient.phone));
  const preferred = channels.find((channel) => channel === patient.preferredChannel);
  if (preferred && reachable(preferred)) return preferred;
  return channels.find(reachable);
}

/** A reminder's key: the event that made it (so a re-run of that event changes nothing) and its offset. */
const REMINDER_KEY_PREFIX = 'reminder:';
const reminderKey = (appointmentId: string, eventId: string, hoursBefore: number) => `${REMINDER_KEY_PREFIX}${appointmentId}:${eventId}:${hoursBefore}h`;

/**
 * Brings the appointment's reminders in line with it, in one transaction (the `reminders.sync` job of
 * an appointment's event, one appointment at a time, in order): the reminders this event wants are
 * scheduled (one per offset of the clinic's settings still ahead, on the patient's channel, while the
 * appointment is booked or confirmed), and what no longer fits is cancelled before it leaves: while the
 * appointment stays booked, its earlier reminders (a staff message about it stays: one written for
 * an earlier start is refused at send time, as is any notification due before this runs); once it
 * is cancelled, missed or done, every notification about it.
 * A reminder that cannot be written (no template for the channel, a variable missing) is recorded as
 * `reminder.not_scheduled` with its reason; the others go on.
 */
export const syncReminders: JobHandler = async ({ services, tenant, job }) => {
  const { eventId, entityId: appointmentId } = job.payload as RemindersPayload;
  await tenantEntityManager(services, tenant.id).transactional(async (em) => {
    const ctx = createContext(services, systemCaller(tenant), em);
    const appointment = await em.findOne(Appointment, { id: appointmentId });
    if (!appointment) return;
    const wanted = await scheduleWanted(ctx, appointment, eventId);
    const stillOn = ['booked', 'confirmed'].includes(appointment.status);
    const others = await em.find(
      Notification,
      { appointmentId, state: { $in: ['scheduled', 'dispatched'] }, id: { $nin: wanted }, ...(stillOn ? { dedupeKey: { $like: `${REMINDER_KEY_PREFIX}%` } } : {}) },
      { orderBy: [{ id: 'asc' }] },
    );
    for (const notification of others) {
      await cancelNotification(ctx, notification.id, { reason: 'The appointment was moved, cancelled or ended.' }).catch((error: unknown) => {
        // Already on its way (sending, sent): it is the provider's now, and the send-time check did what it could.
        if (!(error instanceof AppError && error.code === 'unprocessable')) throw error;
      });
    }
  });
};

/** Schedules the reminders the appointment wants now; returns their notification ids. */
async function scheduleWanted(ctx: AppContext, appointment: Appointment, eventId: string): Promise<string[]> {
  if (!['booked', 'confirmed'].includes(appointment.status)) return [];
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.tenant.id });
  const settings = messagingSettings(tenant).reminders;
  if (!settings) return [];
  const patient = await ctx.em.findOneOrFail(Patient, { id: appointment.patientId });
  const channel = reminderChannel(patient, settings.channels);
  const notScheduled = (reason: string, code: string) =>
    recordEvent(ctx, { type: 'reminder.not_scheduled', entityType: 'appointment', entityId: appointment.id, payload: { code, reason } });
  if (!channel) {
    notScheduled(`The patient has no address for ${settings.channels.join(', ')}.`, 'no_address');
    return [];
  }
  const ids: string[] = [];
  for (const offset of settings.offsets) {
    const sendAt = new Date(appointment.startAt.getTime() - offset.hoursBefore * 3_600_000);
    if (sendAt <= ctx.clock.now()) continue;
    try {
      const scheduled = await scheduleNotification(ctx, {
        patientId: patient.id,
        channel,
        purpose: 'appointment_reminders',
        content: { template: { name: offset.template } },
        appointmentId: appointment.id,
        sendAt,
        dedupeKey: reminderKey(appointment.id, eventId, offset.hoursBefore),
      });
      ids.push(scheduled.id);
    } catch (error) {
      if (!(error instanceof AppError) || error.code === 'internal') throw error;
      notScheduled(`${offset.hoursBefore} h before: ${error.message}`, error.code);
    }
  }
  return ids;
}
