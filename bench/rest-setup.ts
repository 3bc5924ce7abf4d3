import { inParallel, type Api } from './api.js';
import { patientInput, windows, type TimedSlot } from './dataset.js';

/** What the REST section books into: one location, practitioners working every day, patients. */
export type RestClinic = { practitionerIds: string[]; patientIds: string[]; slotsPerDay: number };

const DAY_START = '07:00';
const DAY_END = '21:00';
const SLOT_MINUTES = 10;

/** Builds the clinic through the REST API, as a client would. */
export async function setupRestClinic(api: Api, options: { practitioners: number; patients: number }): Promise<RestClinic> {
  const location = await api.call<{ id: string }>('POST', '/locations', { name: 'Bench Street' });
  const rules = windows([1, 2, 3, 4, 5, 6, 7], DAY_START, DAY_END, SLOT_MINUTES).map((rule) => ({ ...rule, locationId: location.id }));
  const practitionerIds = await inParallel(Array.from({ length: options.practitioners }, (_, index) => index), 4, async (index) => {
    const practitioner = await api.call<{ id: string }>('POST', '/practitioners', { name: `Dr. Bench ${index + 1}`, specialty: index % 2 ? 'family medicine' : 'pediatrics' });
    await api.call('PUT', `/practitioners/${practitioner.id}/schedule`, { rules });
    return practitioner.id;
  });
  const patientIds = await inParallel(Array.from({ length: options.patients }, (_, index) => index), 16, async (index) => {
    const patient = await api.call<{ id: string }>('POST', '/patients', patientInput(index));
    return patient.id;
  });
  const [startHour, endHour] = [DAY_START, DAY_END].map((time) => Number(time.slice(0, 2)));
  return { practitionerIds, patientIds, slotsPerDay: ((endHour - startHour) * 60 * options.practitioners) / SLOT_MINUTES };
}

type SlotPage = { items: { practitionerId: string; startAt: string; endAt: string }[]; truncated: boolean };

/**
 * At least `count` free slots from GET /slots (or all there are in 61 days), earliest first, starting
 * an hour from now so none slips into the past during the run. Pages of 1,000: each next page starts
 * at the last start seen, and slots seen twice are dropped.
 */
export async function fetchFreeSlots(api: Api, count: number): Promise<TimedSlot[]> {
  const fromMs = Date.now() + 3_600_000;
  const to = new Date(fromMs + 61 * 86_400_000).toISOString();
  const seen = new Map<string, TimedSlot>();
  let cursor = new Date(fromMs).toISOString();
  while (seen.size < count) {
    const query = new URLSearchParams({ from: cursor, to, limit: '1000' });
    const page = await api.call<SlotPage>('GET', `/slots?${query}`);
    const before = seen.size;
    for (const item of page.items) {
      seen.set(`${item.practitionerId}|${item.startAt}`, { practitionerId: item.practitionerId, startMs: Date.parse(item.startAt), endMs: Date.parse(item.endAt) });
    }
    if (!page.truncated) break;
    if (seen.size === before) throw new Error(`GET /slots returned no new slot after ${cursor}`);
    cursor = page.items[page.items.length - 1].startAt;
  }
  return [...seen.values()];
}
