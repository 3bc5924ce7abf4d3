import type { Outcome } from '../calls.js';
import type { Answer, GuidedContext } from '../context.js';
import { recognizeNames } from '../names.js';
import { preferenceText } from '../request.js';
import type { PractitionerChoice, SlotSearch, Task } from '../state.js';
import { failed } from './failures.js';
import { offerSlots, withoutWho } from './slots.js';

/** Who and where the patient named ("Dr Hart", "dermatology", "harbour st"), as a slot search's filters. */

type Who = Pick<SlotSearch, 'practitionerIds' | 'specialty' | 'preferenceLabel' | 'locationId' | 'locationLabel'>;

type Resolved =
  | { kind: 'named'; who: Who }
  /** The words fit several practitioners equally: the patient picks one; `where` is the place named, if any. */
  | { kind: 'ambiguous'; options: PractitionerChoice[]; where: Who }
  | { kind: 'nobody' };

/** The clinic's active practitioners and places (through the operations), matched against the patient's words. */
async function resolveWho(context: GuidedContext, words: string): Promise<Outcome<Resolved>> {
  const practitioners = await context.operations.listPractitioners({ active: true });
  if (!practitioners.ok) return practitioners;
  const locations = await context.operations.listLocations({ active: true });
  if (!locations.ok) return locations;
  const found = recognizeNames(words, { practitioners: practitioners.value.items, locations: locations.value.items });
  const where: Who = found.location ? { locationId: found.location.id, locationLabel: found.location.name } : {};
  if (found.ambiguous) {
    const options = found.practitioners.map(({ id, name, specialty }) => ({ id, name, specialty }));
    return { ok: true, value: { kind: 'ambiguous', options, where } };
  }
  if (found.practitioners.length > 0) {
    const who = { practitionerIds: found.practitioners.map((practitioner) => practitioner.id), preferenceLabel: found.practitioners.map((practitioner) => practitioner.name).join(' / ') };
    return { ok: true, value: { kind: 'named', who: { ...who, ...where } } };
  }
  if (found.specialty) return { ok: true, value: { kind: 'named', who: { specialty: found.specialty.name, preferenceLabel: found.specialty.name, ...where } } };
  return { ok: true, value: found.location ? { kind: 'named', who: where } : { kind: 'nobody' } };
}

/** Asks which of the practitioners the patient meant; the search goes on with the one picked. */
const askWhichPractitioner = (context: GuidedContext, search: SlotSearch, options: PractitionerChoice[]): Answer => ({
  text: context.say.whichPractitioner(context.voice, options),
  step: { kind: 'choose_practitioner', search, options },
});

/**
 * Offers times for `search` with whom and where the patient named in `words` instead of any named
 * before (its days and times kept): asks which practitioner when the words fit several. Words that name
 * nobody are answered by `nobody`.
 */
export async function offerNamed<Nobody extends Answer | undefined>(
  context: GuidedContext,
  request: { search: SlotSearch; words: string; task: Task },
  nobody: () => Promise<Nobody>,
): Promise<Answer | Nobody> {
  const resolved = await resolveWho(context, request.words);
  if (!resolved.ok) return failed(context, resolved.error, request.task);
  const base = withoutWho(request.search);
  switch (resolved.value.kind) {
    case 'named':
      return offerSlots(context, { ...base, ...resolved.value.who });
    case 'ambiguous':
      return askWhichPractitioner(context, { ...base, ...resolved.value.where }, resolved.value.options);
    case 'nobody':
      return nobody();
  }
}

/** A request's times: with whom and where the patient named, if anyone, else anyone's (saying so when the words fit nobody). */
export async function offerWithNamed(context: GuidedContext, search: SlotSearch, words: string | undefined, task: Task): Promise<Answer> {
  if (!words) return offerSlots(context, search);
  return offerNamed(context, { search, words, task }, () => offerSlots(context, search, { intro: context.say.preferenceNotFound(preferenceText(words)) }));
}

/** The practitioner picked by number among those offered: the search narrowed to them. */
export function withPractitioner(search: SlotSearch, practitioner: PractitionerChoice): SlotSearch {
  return { ...search, practitionerIds: [practitioner.id], preferenceLabel: practitioner.name };
}
