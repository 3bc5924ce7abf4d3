import { loadConfig } from '../../src/config.js';
import { restClient } from '../api.js';
import { assignPatients, seededRandom, shuffle } from '../dataset.js';
import { runLoad, type LoadRequest, type LoadResult } from '../load.js';
import { fetchFreeSlots, setupRestClinic } from '../rest-setup.js';
import type { Row, Section } from '../section.js';
import { BENCH_API_KEY, startService } from '../service.js';
import { count, ms, percentile, rate } from '../stats.js';

const CONCURRENCY = 50;
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 20);
const WARM_UP_SECONDS = 2;
const PRACTITIONERS = 50;
const PATIENTS = 1000;
/** Free slots wanted per booking the run could make. */
const SLOT_MARGIN = 3;
/** The service's database pool, as it will read it from the environment the bench passes on. */
const POOL = loadConfig({ PRM_DB_POOL_MAX: process.env.PRM_DB_POOL_MAX }).poolMax;

export const restLoad: Section = {
  title: 'REST under load',
  about:
    `The service in its own process (\`node --import tsx src/main.ts serve\`, LOG_LEVEL=warn, a pool of ${POOL} database connections), ` +
    `${CONCURRENCY} concurrent clients in the bench process (keep-alive \`node:http\`), ${SECONDS} s per endpoint after ${WARM_UP_SECONDS} s of warm-up. ` +
    `Set up through the API: ${PRACTITIONERS} practitioners working 07:00-21:00 every day in 10-minute slots, ${count(PATIENTS)} patients. ` +
    'GET reads a random patient; each POST books a different free slot taken beforehand from GET /slots, with patients assigned so that none has two overlapping appointments. ' +
    `Latency is from sending the request to the last byte of the answer; with every client always waiting, it is about ${CONCURRENCY} ÷ requests/s, the queue of a saturated service. ` +
    'Load generator, service and database share the machine’s cores; *service process CPU* is the CPU time of the service’s process (with the embedded database, PGlite runs in it) per second of the run: 1.00 is one core, all a Node.js event loop can use.',
  async run(database, progress) {
    const service = await startService(database);
    try {
      const api = restClient(service.baseUrl, BENCH_API_KEY);
      progress(`setting up ${PRACTITIONERS} practitioners and ${PATIENTS} patients through the API`);
      const clinic = await setupRestClinic(api, { practitioners: PRACTITIONERS, patients: PATIENTS });
      const load = async (next: () => LoadRequest | undefined, seconds: number): Promise<Measured> => {
        const cpuBefore = await service.cpuSeconds();
        const result = await runLoad({ baseUrl: service.baseUrl, headers: { authorization: `Bearer ${BENCH_API_KEY}` }, concurrency: CONCURRENCY, durationMs: seconds * 1000, next });
        const cpuAfter = await service.cpuSeconds();
        return { ...result, serviceCores: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / result.seconds };
      };

      const random = seededRandom(20261127);
      const readPatient = (): LoadRequest => ({ method: 'GET', path: `/api/v1/prm/patients/${clinic.patientIds[Math.floor(random() * clinic.patientIds.length)]}` });
      progress(`GET /patients/{id}: ${CONCURRENCY} clients, ${SECONDS} s`);
      await load(readPatient, WARM_UP_SECONDS);
      const reads = await load(readPatient, SECONDS);

      // Bookings are slower than reads (more queries, a transaction, locks), so the read rate bounds them.
      const wanted = Math.ceil(SLOT_MARGIN * (reads.requests / reads.seconds) * (SECONDS + WARM_UP_SECONDS) * 1.1);
      progress(`taking ${count(wanted)} free slots from GET /slots`);
      const slots = await fetchFreeSlots(api, wanted);
      const bookings = shuffle(assignPatients(slots, clinic.patientIds), random);
      let taken = 0;
      const book = (): LoadRequest | undefined => {
        const slot = bookings[taken++];
        if (!slot) return undefined;
        return { method: 'POST', path: '/api/v1/prm/appointments', body: JSON.stringify({ patientId: slot.patientId, practitionerId: slot.practitionerId, startAt: new Date(slot.startMs).toISOString() }) };
      };
      progress(`POST /appointments: ${CONCURRENCY} clients, ${SECONDS} s, ${count(slots.length)} free slots`);
      await load(book, WARM_UP_SECONDS);
      const writes = await load(book, SECONDS);

      const perBooking = slots.length / Math.max(1, writes.requests);
      const notes = [...failureNotes('GET', reads), ...failureNotes('POST', writes)];
      if (writes.exhausted || perBooking < SLOT_MARGIN) notes.push(`only ${perBooking.toFixed(1)} free slots per booking made${writes.exhausted ? '; the slots ran out before the time was up' : ''}`);
      return {
        rows: [
          { label: 'Free slots taken beforehand (per booking made)', value: `${count(slots.length)} (${perBooking.toFixed(1)}×)` },
          ...loadRows('GET /patients/{id}', reads),
          ...loadRows('POST /appointments', writes),
        ],
        goals: [
          {
            goal: 'No errors under load',
            target: '0 non-2xx or errors',
            measured: `GET ${count(reads.failures)} of ${count(reads.requests)}, POST ${count(writes.failures)} of ${count(writes.requests)}`,
            met: reads.failures === 0 && writes.failures === 0,
          },
        ],
        notes,
      };
    } finally {
      await service.stop();
    }
  },
};

/** A load run, with how many cores the service process kept busy meanwhile. */
type Measured = LoadResult & { serviceCores: number | undefined };

function loadRows(name: string, result: Measured): Row[] {
  const sorted = result.latenciesMs;
  const statuses = Object.entries(result.outcomes).map(([outcome, times]) => `${outcome}: ${count(times)}`).join(', ');
  return [
    { label: `${name}: requests in ${SECONDS} s`, value: count(result.requests) },
    { label: `${name}: requests/s`, value: rate(result.requests / result.seconds) },
    { label: `${name}: p50 latency`, value: ms(percentile(sorted, 0.5)) },
    { label: `${name}: p95 latency`, value: ms(percentile(sorted, 0.95)) },
    { label: `${name}: p99 latency`, value: ms(percentile(sorted, 0.99)) },
    { label: `${name}: non-2xx / errors`, value: result.failures === 0 ? '0' : `**${count(result.failures)}** (${statuses})` },
    { label: `${name}: service process CPU (cores busy)`, value: result.serviceCores === undefined ? '—' : result.serviceCores.toFixed(2) },
  ];
}

function failureNotes(name: string, result: LoadResult): string[] {
  return result.failureSamples.map((sample) => `${name} failure sample: ${sample.replace(/\s+/g, ' ')}`);
}
