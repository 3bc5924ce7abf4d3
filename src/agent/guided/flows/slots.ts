import type { AppError } from '../../../errors.js';
import type { FreeSlot, Outcome } from '../calls.js';
import { idleStep, type Answer, type GuidedContext } from '../context.js';
import type { SlotChoice, SlotSearch, Task } from '../state.js';
import { failed } from './failures.js';
import { upcomingStatuses } from './records.js';
import { join } from '../replies/index.js';
import { searchWindows } from './slot-windows.js';

/**
 * Finding free slots to offer, for booking and for rescheduling: within what the patient asked (days,
 * times of day, a practitioner, a place), and when nothing fits, the nearest times that do.
 */

const OFFERED = 5;
const SEARCH_DAYS = 14;
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
export function searchTask(search: SlotSearch): Task {
  const preference = [search.preferenceLabel, search.locationLabel].filter(Boolean).join(' at ');
  return { name: search.purpose, ...(preference ? { preference } : {}), ...(search.when ? { when: search.when } : {}) };
}

/** Who the patient asked for, as search_slots filters. */
const askedFor = (search: SlotSearch) => ({
  ...(search.practitionerIds ? { practitionerId: search.practitionerIds } : {}),
  ...(search.specialty ? { specialty: search.specialty } : {}),
  ...(search.locationId ? { locationId: search.locationId } : {}),
});

/**
 * Up to five free slots from `from`, within the search's days and times (else over the next two
 * weeks). Rescheduling with nobody named offers the same practitioner's times first and fills up with
 * others'. Times when the patient already has another appointment are left out: booking them would
 * only be refused.
 */
async function findSlots(context: GuidedContext, search: SlotSearch, options: { from: Date; exclude: SlotChoice[] }): Promise<Outcome<SlotChoice[]>> {
  const own = await context.operations.listAppointments({ from: context.now.toISOString(), status: upcomingStatuses, limit: 50 });
  if (!own.ok) return own;
  const busy = own.value.items.filter((appointment) => appointment.id !== search.appointment?.id);
  const usable = (slots: FreeSlot[]) =>
    slots.map(slotChoice).filter((slot) => !busy.some((appointment) => overlaps(slot, appointment)) && !options.exclude.some((taken) => sameSlot(taken, slot)));

  const asked = askedFor(search);
  const queries =
    search.purpose === 'reschedule' && search.appointment && !asked.practitionerId && !asked.specialty
      ? [{ ...asked, practitionerId: [search.appointment.practitionerId] }, asked]
      : [asked];
  const windows = searchWindows(search.when, { timeZone: context.clinic.timeZone, from: options.from, days: SEARCH_DAYS });
  const offered: SlotChoice[] = [];
  for (const query of queries) {
    for (const window of windows) {
      if (offered.length >= OFFERED) break;
      const found = await context.operations.searchSlots({ ...query, from: window.from.toISOString(), to: window.to.toISOString(), limit: SEARCHED });
      if (!found.ok) return found;
      for (const slot of usable(found.value.items)) {
        if (offered.length < OFFERED && !offered.some((chosen) => sameSlot(chosen, slot))) offered.push(slot);
      }
    }
  }
  return { ok: true, value: offered };
}

const offer = (context: GuidedContext, search: SlotSearch, slots: SlotChoice[], text: { intro?: string; heading?: string }): Answer => ({
  text: context.say.slotOffer({ voice: context.voice, purpose: search.purpose, slots, moving: search.appointment, ...text }),
  step: { kind: 'choose_slot', search, options: slots },
});

/** Offers free slots as numbered options; `intro` says why (a lost race, an expired list). */
export async function offerSlots(context: GuidedContext, search: SlotSearch, options: { intro?: string; exclude?: SlotChoice[] } = {}): Promise<Answer> {
  const found = await findSlots(context, search, { from: context.now, exclude: options.exclude ?? [] });
  if (!found.ok) return failed(context, found.error, searchTask(search));
  if (found.value.length === 0) return offerNearest(context, search, options);
  const heading = search.when ? context.say.matchingHeading(search, search.appointment) : undefined;
  return offer(context, search, found.value, { intro: options.intro, heading });
}

/** The search without anyone or anywhere named (its days, times and purpose kept). */
export const withoutWho = ({ practitionerIds, specialty, preferenceLabel, locationId, locationLabel, ...rest }: SlotSearch): SlotSearch => rest;

/**
 * Searches near the one that found nothing, nearest first: the same practitioner and time of day on
 * the days after the one asked; anyone at the time asked; the same practitioner at any time.
 */
function nearby(context: GuidedContext, search: SlotSearch): { search: SlotSearch; heading: string }[] {
  const when = search.when;
  const named = search.practitionerIds !== undefined || search.specialty !== undefined || search.locationId !== undefined;
  const searches: { search: SlotSearch; heading: string }[] = [];
  if (when && when.dates.length > 0) {
    searches.push({ search: { ...search, when: { dates: [], startDate: when.dates[0].from, ...(when.time ? { time: when.time } : {}) } }, heading: context.say.nearestTimes });
  }
  if (named) searches.push({ search: withoutWho(search), heading: when ? context.say.othersThen : context.say.nearestTimes });
  if (when) searches.push({ search: { ...search, when: undefined }, heading: context.say.nearestTimes });
  return searches;
}

/** Nothing fits what was asked: says so plainly and offers the nearest times that do, if any. */
async function offerNearest(context: GuidedContext, search: SlotSearch, options: { intro?: string; exclude?: SlotChoice[] }): Promise<Answer> {
  for (const near of nearby(context, search)) {
    const found = await findSlots(context, near.search, { from: context.now, exclude: options.exclude ?? [] });
    if (!found.ok) return failed(context, found.error, searchTask(search));
    if (found.value.length > 0) return offer(context, near.search, found.value, { intro: join(options.intro, context.say.noFreeTime(search)), heading: near.heading });
  }
  // Nobody is free in two weeks: said as before, after what was asked when that had a time.
  const asked = search.when ? context.say.noFreeTime(search) : undefined;
  return { text: join(options.intro, asked, context.say.noSlots(context.voice, search.when ? undefined : search.preferenceLabel)), step: idleStep };
}

/** MORE: the next free slots after the ones offered, within the same search. */
export async function offerLaterSlots(context: GuidedContext, search: SlotSearch, offered: SlotChoice[]): Promise<Answer> {
  const last = offered.reduce((latest, slot) => (Date.parse(slot.startAt) > Date.parse(latest.startAt) ? slot : latest));
  const found = await findSlots(context, search, { from: new Date(last.startAt), exclude: offered });
  if (!found.ok) return failed(context, found.error, searchTask(search));
  if (found.value.length === 0) {
    const none = search.when ? context.say.noMoreMatching(context.voice, search) : context.say.noMoreSlots(context.voice);
    return { text: none, step: { kind: 'choose_slot', search, options: offered } };
  }
  return {
    text: context.say.slotOffer({ voice: context.voice, purpose: search.purpose, slots: found.value, ...(search.when ? { heading: context.say.matchingHeading(search) } : {}) }),
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
