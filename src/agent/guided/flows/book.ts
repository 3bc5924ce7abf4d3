import { idleStep, type Answer, type GuidedContext } from '../context.js';
import type { SlotChoice, SlotSearch, Task } from '../state.js';
import { failed } from './failures.js';
import { isTimeGone, offerSlots, searchTask, timeGoneIntro } from './slots.js';
import { offerWithNamed } from './who.js';

/** Booking a new appointment: optionally on a day, at a time, with a practitioner, specialty or at a place the patient named. */

export const startBooking = (context: GuidedContext, task: Task): Promise<Answer> =>
  offerWithNamed(context, { purpose: 'book', ...(task.when ? { when: task.when } : {}) }, task.preference, task);

/** Books the slot the patient picked; if it was taken meanwhile, says so and offers fresh ones. */
export async function bookSlot(context: GuidedContext, search: SlotSearch, slot: SlotChoice): Promise<Answer> {
  const outcome = await context.operations.bookAppointment({ practitionerId: slot.practitionerId, startAt: slot.startAt });
  if (outcome.ok) return { text: context.say.booked(slot), step: idleStep };
  if (isTimeGone(outcome.error)) return offerSlots(context, search, { intro: timeGoneIntro(context, outcome.error), exclude: [slot] });
  return failed(context, outcome.error, searchTask(search));
}
