import type { AppError } from '../../../errors.js';
import type { FreeSlot, Outcome } from '../calls.js';
import { idleStep, type Answer, type GuidedContext } from '../context.js';
import type { SlotChoice, SlotSearch, Task } from '../state.js';
import { failed } from './failures.js';
import { upcomingStatuses } from './records.js';
import { join } from '../replies/index.js';

/** Finding free slots to offer, for booking and for rescheduling. */

const OFFERED = 5;
const SEARCH_DAYS = 14;
const DAY_MS = 86_400_000;
/** Searched per query: enough that five remain after leaving out times the patient is already busy. */
const SEARCHED = 40;

const slotChoice = (slot: FreeSlot): SlotChoice => ({
  practitionerId: slot.practitionerId,
  practitionerName: slot.practitionerName,
  locationName: slot.locationName,
  startAt: slot.startAt,
  endAt: slot.endAt,
  startLocal: slot.startLocal,
});

const sameSlot = (a: SlotChoice, b: SlotChoice) => a.practitionerId === b.practitionerId && Date.parse(a.startAt) === Date.parse(b.startAt);
const overlaps = (slot: SlotChoice, busy: { startAt: string; endAt: string }) =>
  Date.parse(slot.startAt) < Date.parse(busy.endAt) && Date.parse(busy.startAt) < Date.parse(slot.endAt);

/** The task a slot search serves, to resume it after a fresh identity check. */
export const searchTask = (search: SlotSearch): Task =>
  search.purpose === 'book' ? { name: 'book', ...(search.preferenceLabel ? { preference: search.preferenceLabel } : {}) } : { name: 'reschedule' };

/**
 * Up to five free slots from `from` over the next two weeks. Rescheduling offers the same
 * practitioner's times first and fills up with others'. Times when the patient already has another
 * appointment are left out: booking them would only be refused.
 */
async function findSlots(context: GuidedContext, search: SlotSearch, options: { from: Date; exclude: SlotChoice[] }): Promise<Outcome<SlotChoice[]>> {
  const range = { from: options.from.toISOString(), to: new Date(options.from.getTime() + SEARCH_DAYS * DAY_MS).toISOString(), limit: SEARCHED };
  const own = await context.operations.listAppointments({ from: context.now.toISOString(), status: upcomingStatuses, limit: 50 });
  if (!own.ok) return own;
  const busy = own.value.items.filter((appointment) => appointment.id !== search.appointment?.id);
  const usable = (slots: FreeSlot[]) =>
    slots.map(slotChoice).filter((slot) => !busy.some((appointment) => overlaps(slot, appointment)) && !options.exclude.some((taken) => sameSlot(taken, slot)));

  const queries =
    search.purpose === 'reschedule' && search.appointment
      ? [{ ...range, practitionerId: [search.appointment.practitionerId] }, range]
      : [{ ...range, ...(search.practitionerIds ? { practitionerId: search.practitionerIds } : {}), ...(search.specialty ? { specialty: search.specialty } : {}) }];
  const offered: SlotChoice[] = [];
  for (const query of queries) {
    if (offered.length >= OFFERED) break;
    const found = await context.operations.searchSlots(query);
    if (!found.ok) return found;
    for (const slot of usable(found.value.items)) {
      if (offered.length < OFFERED && !offered.some((chosen) => sameSlot(chosen, slot))) offered.push(slot);
    }
  }
  return { ok: true, value: offered };
}

/** Offers free slots as numbered options; `intro` says why (a lost race, an expired list). */
export async function offerSlots(context: GuidedContext, search: SlotSearch, options: { intro?: string; exclude?: SlotChoice[] } = {}): Promise<Answer> {
  const found = await findSlots(context, search, { from: context.now, exclude: options.exclude ?? [] });
  if (!found.ok) return failed(context, found.error, searchTask(search));
  if (found.value.length === 0) return { text: join(options.intro, context.say.noSlots(context.voice, search.preferenceLabel)), step: idleStep };
  return {
    text: context.say.slotOffer({ voice: context.voice, purpose: search.purpose, slots: found.value, moving: search.appointment, intro: options.intro }),
    step: { kind: 'choose_slot', search, options: found.value },
  };
}

/** MORE: the next free slots after the ones offered. */
export async function offerLaterSlots(context: GuidedContext, search: SlotSearch, offered: SlotChoice[]): Promise<Answer> {
  const last = offered.reduce((latest, slot) => (Date.parse(slot.startAt) > Date.parse(latest.startAt) ? slot : latest));
  const found = await findSlots(context, search, { from: new Date(last.startAt), exclude: offered });
  if (!found.ok) return failed(context, found.error, searchTask(search));
  if (found.value.length === 0) return { text: context.say.noMoreSlots(context.voice), step: { kind: 'choose_slot', search, options: offered } };
  return {
    text: context.say.slotOffer({ voice: context.voice, purpose: search.purpose, slots: found.value }),
    step: { kind: 'choose_slot', search, options: found.value },
  };
}

/**
 * Whether a booking or move was refused because the chosen time is no longer to be had: taken
 * meanwhile (409), or no longer a slot at all (started, or the schedule changed: 422 on startAt).
 * Those are answered with fresh slots; any other failure as usual.
 */
export function isTimeGone(error: AppError): boolean {
  return error.code === 'conflict' || (error.code === 'unprocessable' && (error.issues ?? []).some((issue) => issue.path === 'startAt'));
}

export function timeGoneIntro(context: GuidedContext, error: AppError): string {
  if (error.code !== 'conflict') return context.say.slotGone;
  return error.details?.constraint === 'appointment_patient_no_overlap' ? context.say.patientBusy : context.say.slotTaken;
}
