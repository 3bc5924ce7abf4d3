import type { Answer, GuidedContext } from '../context.js';
import type { Task } from '../state.js';
import { confirmAppointment, listAppointments, startCancel } from './appointments.js';
import { startBooking } from './book.js';
import { startIntake } from './intake.js';
import { askIdentityFor } from './verify.js';
import { startReschedule } from './reschedule.js';

/**
 * Starts what the patient asked for. Everything here reads or changes their record, so an
 * unverified conversation is asked for the date of birth first and the task waits in the state.
 */
export async function startTask(context: GuidedContext, task: Task): Promise<Answer> {
  if (!context.verified) return askIdentityFor(context, task);
  switch (task.name) {
    case 'list':
      return listAppointments(context);
    case 'confirm':
      return confirmAppointment(context);
    case 'cancel':
      return startCancel(context);
    case 'reschedule':
      return startReschedule(context, task);
    case 'book':
      return startBooking(context, task);
    case 'intake':
      return startIntake(context);
  }
}
