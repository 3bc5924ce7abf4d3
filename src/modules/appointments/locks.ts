import type { AppContext } from '../../context.js';

/**
 * Queues writers of the same practitioner's or patient's appointments behind each other until they
 * commit (transaction-scoped advisory locks, always taken in the same order).
 *
 * Why: PostgreSQL checks an exclusion constraint by waiting for any other transaction whose row
 * conflicts. Two bookings of the same time that insert at the same moment each wait for the other:
 * a deadlock, which the server breaks after a second by failing one with `40P01`, not with the
 * constraint's violation, and the caller would get a 500 instead of the 409 that names the clash.
 * Queued, the later writer meets the earlier one's committed row and the constraint refuses it
 * cleanly. The constraint stays the judge of overlaps; the locks only order the writers.
 */
export async function queueAppointmentWriters(ctx: AppContext, appointment: { practitionerId: string; patientId: string }): Promise<void> {
  const keys = [`appointment:practitioner:${appointment.practitionerId}`, `appointment:patient:${appointment.patientId}`].sort();
  await ctx.em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0)), pg_advisory_xact_lock(hashtextextended(?, 0))', keys);
}
