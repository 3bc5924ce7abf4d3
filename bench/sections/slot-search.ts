import { DateTime } from 'luxon';
import { fixedClock } from '../../src/clock.js';
import { createContext, type AppContext } from '../../src/context.js';
import { generateSlots } from '../../src/modules/appointments/slot-generation.js';
import { SearchSlotsInput } from '../../src/modules/appointments/appointment-schema.js';
import { loadSchedule, searchSlots } from '../../src/modules/appointments/slots.js';
import { runOperation, tenantEntityManager } from '../../src/tools/runner.js';
import { buildClinic } from '../clinic.js';
import { benchTenant, openInProcess } from '../in-process.js';
import type { Row, Section } from '../section.js';
import { count, ms, timeCalls, type Summary } from '../stats.js';

const PRACTITIONERS = 20;
const DAYS = 30;
const FIRST_DAY = '2027-01-04';
const RUNS = 250;
/** The limit-1000 variant is for comparison only: fewer runs. */
const RUNS_LARGE = 100;
const WARM_UP = 30;
const GOAL_P95_MS = 20;

export const slotSearch: Section = {
  title: 'Slot search',
  about:
    `\`search_slots\` through the runner, in-process, over ${DAYS} days for all ${PRACTITIONERS} practitioners of the section's own clinic ` +
    '(weekday schedules in three patterns with 15-, 20- and 30-minute slots, a day of time off each and an afternoon for every fourth, a third of the slots booked and a tenth of those cancelled), ' +
    `the clock pinned to the first day's midnight. ${RUNS} runs after ${WARM_UP} of warm-up. ` +
    `${RUNS_LARGE} runs for limit 1000. The last lines time the service function \`searchSlots\` without the runner, and its parts: the two queries (\`loadSchedule\`) and the generation in memory of every free slot (\`generateSlots\`).`,
  async run(database, progress) {
    const clock = fixedClock(DateTime.fromISO(FIRST_DAY, { zone: 'America/New_York' }).toJSDate());
    const opened = await openInProcess(database, { clock });
    try {
      const { services } = opened;
      const caller = await benchTenant(services, 'Bench slots clinic');
      progress(`building a clinic of ${PRACTITIONERS} practitioners over ${DAYS} days`);
      const clinic = await buildClinic(services, caller, { practitioners: PRACTITIONERS, patients: 60, firstDay: FIRST_DAY, days: DAYS, bookEvery: 3 });

      const last = DateTime.fromISO(FIRST_DAY).plus({ days: DAYS - 1 }).toISODate();
      const search = (limit: number) => async () => {
        const outcome = await runOperation(services, caller, { tool: 'search_slots', input: { from: FIRST_DAY, to: last, limit } });
        if (!outcome.ok) throw new Error(`search_slots failed: ${outcome.error.message}`);
        return outcome.output as { items: unknown[]; truncated: boolean };
      };
      const context = (): AppContext => createContext(services, caller, tenantEntityManager(services, caller.tenant.id));
      const range = { fromMs: clock.now().getTime(), toMs: DateTime.fromISO(FIRST_DAY, { zone: caller.tenant.timeZone }).plus({ days: DAYS }).toMillis() };
      const loaded = await loadSchedule(context(), { ...range, appointments: true });
      const free = generateSlots({ ...loaded, ...range, timeZone: caller.tenant.timeZone }).slots.length;

      progress(`search_slots: ${RUNS} runs each`);
      const defaultLimit = await measure(search(100));
      const largeLimit = await measure(search(1000), RUNS_LARGE);
      const queries = (await opened.countQueries(search(100))).queries.length;
      const input = (limit: number) => SearchSlotsInput.parse({ from: FIRST_DAY, to: last, limit });
      const serviceDefault = await measure(() => searchSlots(context(), input(100)));
      const serviceLarge = await measure(() => searchSlots(context(), input(1000)), RUNS_LARGE);
      const loading = await measure(() => loadSchedule(context(), { ...range, appointments: true }));
      const generating = await measure(async () => generateSlots({ ...loaded, ...range, timeZone: caller.tenant.timeZone }));

      const rows: Row[] = [
        { label: 'Clinic', value: `${clinic.practitionerIds.length} practitioners, ${count(clinic.scheduledSlots)} scheduled slots, ${count(clinic.booked)} booked (+${clinic.cancelled} cancelled), ${clinic.timeOff} time off, ${count(free)} free` },
        ...timing(`search_slots, ${DAYS} days, limit 100 (default)`, defaultLimit),
        ...timing(`search_slots, ${DAYS} days, limit 1000`, largeLimit),
        { label: 'search_slots: queries per call (runner included)', value: String(queries) },
        { label: 'searchSlots service function alone, limit 100: p50 / p95', value: `${ms(serviceDefault.p50)} / ${ms(serviceDefault.p95)}` },
        { label: 'searchSlots service function alone, limit 1000: p50 / p95', value: `${ms(serviceLarge.p50)} / ${ms(serviceLarge.p95)}` },
        { label: 'loadSchedule alone (2 queries): p50 / p95', value: `${ms(loading.p50)} / ${ms(loading.p95)}` },
        { label: 'generateSlots alone (every free slot, in memory): p50 / p95', value: `${ms(generating.p50)} / ${ms(generating.p95)}` },
      ];
      return {
        rows,
        goals: [{ goal: `Slot search p95 (${PRACTITIONERS} practitioners × ${DAYS} days, limit 100)`, target: `< ${GOAL_P95_MS} ms`, measured: ms(defaultLimit.p95), met: defaultLimit.p95 < GOAL_P95_MS }],
      };
    } finally {
      await opened.close();
    }
  },
};

const measure = (call: () => Promise<unknown>, runs = RUNS): Promise<Summary> => timeCalls(call, { runs, warmUp: WARM_UP });

const timing = (name: string, summary: Summary): Row[] => [
  { label: `${name}: p50`, value: ms(summary.p50) },
  { label: `${name}: p95`, value: ms(summary.p95) },
];
