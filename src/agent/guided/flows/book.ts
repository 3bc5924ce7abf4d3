import type { Outcome } from '../calls.js';
import { idleStep, type Answer, type GuidedContext } from '../context.js';
import { normalize } from '../intents.js';
import type { SlotChoice, SlotSearch } from '../state.js';
import { failed } from './failures.js';
import { isTimeGone, offerSlots, timeGoneIntro } from './slots.js';

/** Booking a new appointment: optionally with a named practitioner or specialty. */

const TITLES = new Set(['dr', 'doctor', 'doc', 'prof', 'mr', 'mrs', 'ms']);
const words = (text: string) => normalize(text).split(' ').filter((word) => word.length >= 3 && !TITLES.has(word));
/** "dermatologist" and "dermatology" share a stem: compare the first letters only. */
const sameStem = (a: string, b: string) => a.length >= 5 && b.length >= 5 && a.slice(0, 6) === b.slice(0, 6);

/**
 * The practitioners the patient named: by a word of their name ("Ruiz", "Dr Ana"), else by specialty
 * ("dermatology", "a dermatologist"). Undefined when nobody matches.
 */
async function resolvePreference(context: GuidedContext, preference: string): Promise<Outcome<Pick<SlotSearch, 'practitionerIds' | 'preferenceLabel'> | undefined>> {
  const listed = await context.operations.listPractitioners({ active: true });
  if (!listed.ok) return listed;
  const asked = words(preference);
  const practitioners = listed.value.items;
  const byName = practitioners.filter((practitioner) => words(practitioner.name).some((word) => asked.includes(word)));
  const bySpecialty = practitioners.filter((practitioner) => words(practitioner.specialty ?? '').some((word) => asked.some((askedWord) => sameStem(word, askedWord))));
  const matched = byName.length > 0 ? byName : bySpecialty;
  if (matched.length === 0) return { ok: true, value: undefined };
  const label = byName.length > 0 ? matched.map((practitioner) => practitioner.name).join(' / ') : (matched[0].specialty ?? preference);
  return { ok: true, value: { practitionerIds: matched.map((practitioner) => practitioner.id), preferenceLabel: label } };
}

export async function startBooking(context: GuidedContext, preference: string | undefined): Promise<Answer> {
  if (!preference) return offerSlots(context, { purpose: 'book' });
  const resolved = await resolvePreference(context, preference);
  if (!resolved.ok) return failed(context, resolved.error, { name: 'book', preference });
  if (!resolved.value) return offerSlots(context, { purpose: 'book' }, { intro: context.say.preferenceNotFound(preference) });
  return offerSlots(context, { purpose: 'book', ...resolved.value });
}

/** Books the slot the patient picked; if it was taken meanwhile, says so and offers fresh ones. */
export async function bookSlot(context: GuidedContext, search: SlotSearch, slot: SlotChoice): Promise<Answer> {
  const outcome = await context.operations.bookAppointment({ practitionerId: slot.practitionerId, startAt: slot.startAt });
  if (outcome.ok) return { text: context.say.booked(slot), step: idleStep };
  if (isTimeGone(outcome.error)) return offerSlots(context, search, { intro: timeGoneIntro(context, outcome.error), exclude: [slot] });
  return failed(context, outcome.error, { name: 'book' });
}
