import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { restClient } from '../api.js';
import { assignPatients, familyNames, seededRandom, shuffle } from '../dataset.js';
import { openInProcess } from '../in-process.js';
import { runLoad, type LoadRequest, type LoadResult } from '../load.js';
import { fetchFreeSlots, setupRestClinic } from '../rest-setup.js';
import type { BenchDatabase, Goal, Row, Section } from '../section.js';
import { BENCH_API_KEY, freePort, startService, type RunningService } from '../service.js';
import { count, ms, percentile, rate } from '../stats.js';

const CONCURRENCY = 50;
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const WARM_UP_SECONDS = 5;
const PRACTITIONERS = 50;
const PATIENTS = 1000;
/** Free slots wanted per booking the run could make. */
const SLOT_MARGIN = 3;
/** The service's database pool, as it will read it from the environment the bench passes on. */
const POOL = loadConfig({ PRM_DB_POOL_MAX: process.env.PRM_DB_POOL_MAX }).poolMax;
/** The targets for GET /patients/{id}: half the hand-written baseline's rate, p99 under 40 ms. */
const RATIO_TARGET = 0.5;
const P99_TARGET_MS = 40;

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export const restLoad: Section = {
  title: 'REST under load',
  about:
    `The service in its own process (\`node --import tsx src/main.ts serve\`, \`PRM_PROCESSES=1\`, LOG_LEVEL=warn, a pool of ${POOL} database connections), ` +
    `${CONCURRENCY} concurrent clients in the bench process (keep-alive \`node:http\`), ${SECONDS} s per route after ${WARM_UP_SECONDS} s of warm-up. ` +
    `Set up through the API: ${PRACTITIONERS} practitioners working 07:00-21:00 every day in 10-minute slots, ${count(PATIENTS)} patients. ` +
    'GET /patients/{id} reads a random patient; the search looks for a random family name; each POST /appointments books a different free slot taken beforehand from GET /slots, ' +
    'with patients assigned so that none has two overlapping appointments; GET /appointments lists one practitioner’s day of them; GET /slots searches one day of every practitioner; GET /agents/runs is the first page of the run log. ' +
    'The *hand-written baseline* answers GET /patients/{id} with the five statements the service first sent for it, by hand with Hono and node-postgres, no ORM (`bench/baseline/get-patient.ts`), ' +
    'in a process of its own on the same database, measured in the same run after the service stopped. ' +
    '*Statements* are those one request sends (transaction begin and commit included), counted at the driver with the app in-process on the same database. ' +
    `Latency is from sending the request to the last byte of the answer; with every client always waiting, it is about ${CONCURRENCY} ÷ requests/s, the queue of a saturated service. ` +
    'Load generator, service and database share the machine’s two cores; *cores busy* is the CPU time of the service’s process (with the embedded database, PGlite runs in it) per second of the run.',
  async run(database, progress) {
    const service = await startService(database, { PRM_PROCESSES: '1' });
    const measured = new Map<string, Measured>();
    const requests = new Map<string, () => LoadRequest>();
    let leftover: LoadRequest | undefined;
    try {
      const api = restClient(service.baseUrl, BENCH_API_KEY);
      progress(`setting up ${PRACTITIONERS} practitioners and ${PATIENTS} patients through the API`);
      const clinic = await setupRestClinic(api, { practitioners: PRACTITIONERS, patients: PATIENTS });
      const random = seededRandom(20261127);
      const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
      const measure = async (name: string, next: () => LoadRequest | undefined) => {
        progress(`${name}: ${CONCURRENCY} clients, ${SECONDS} s`);
        await loadOn(service, next, WARM_UP_SECONDS);
        const result = await loadOn(service, next, SECONDS);
        measured.set(name, result);
        return result;
      };

      requests.set('GET /patients/{id}', () => ({ method: 'GET', path: `/api/v1/prm/patients/${pick(clinic.patientIds)}` }));
      requests.set('GET /patients?q= (search)', () => ({ method: 'GET', path: `/api/v1/prm/patients?q=${encodeURIComponent(pick(familyNames))}&limit=20` }));
      const reads = await measure('GET /patients/{id}', requests.get('GET /patients/{id}')!);
      await measure('GET /patients?q= (search)', requests.get('GET /patients?q= (search)')!);

      // Bookings are slower than reads (more statements, a transaction, locks), so the read rate bounds them.
      const wanted = Math.ceil(SLOT_MARGIN * (reads.requests / reads.seconds) * (SECONDS + WARM_UP_SECONDS) * 1.1);
      progress(`taking ${count(wanted)} free slots from GET /slots`);
      const slots = await fetchFreeSlots(api, wanted);
      const bookings = shuffle(assignPatients(slots, clinic.patientIds), random).map(
        (slot): LoadRequest => ({
          method: 'POST',
          path: '/api/v1/prm/appointments',
          body: JSON.stringify({ patientId: slot.patientId, practitionerId: slot.practitionerId, startAt: new Date(slot.startMs).toISOString() }),
        }),
      );
      let taken = 0;
      const writes = await measure('POST /appointments', () => bookings[taken++]);
      leftover = bookings[taken];
      if (writes.exhausted) throw new Error(`the ${count(slots.length)} free slots ran out before the time was up`);

      let ticket = 0;
      requests.set('POST /tickets', () => ({ method: 'POST', path: '/api/v1/prm/tickets', body: JSON.stringify({ subject: `Question about a bill ${++ticket}` }) }));
      await measure('POST /tickets', requests.get('POST /tickets')!);

      const firstDay = new Date(slots[0].startMs).toISOString().slice(0, 10);
      requests.set('GET /appointments (a practitioner’s day)', () => ({
        method: 'GET',
        path: `/api/v1/prm/appointments?practitionerId=${pick(clinic.practitionerIds)}&from=${firstDay}&to=${firstDay}`,
      }));
      requests.set('GET /slots (a day, every practitioner)', () => ({ method: 'GET', path: `/api/v1/prm/slots?from=${firstDay}&to=${firstDay}&limit=100` }));
      requests.set('GET /agents/runs (the run log)', () => ({ method: 'GET', path: '/api/v1/prm/agents/runs?limit=50' }));
      for (const name of ['GET /appointments (a practitioner’s day)', 'GET /slots (a day, every practitioner)', 'GET /agents/runs (the run log)']) await measure(name, requests.get(name)!);
    } finally {
      await service.stop();
    }

    progress('the hand-written baseline: GET /patients/{id}');
    const baseline = await startBaseline(database);
    let baselineResult: Measured;
    try {
      const read = requests.get('GET /patients/{id}')!;
      await loadOn(baseline, read, WARM_UP_SECONDS);
      baselineResult = await loadOn(baseline, read, SECONDS);
    } finally {
      await baseline.stop();
    }

    progress('counting statements per request, in-process');
    const statements = await countStatements(database, [...requests, ...(leftover ? ([['POST /appointments', () => leftover]] as const) : [])]);

    const rows: Row[] = [];
    const goals: Goal[] = [];
    const notes: string[] = [];
    for (const [name, result] of measured) {
      rows.push(...loadRows(name, result), ...statementRows(name, statements.get(name)));
      notes.push(...failureNotes(name, result));
    }
    rows.push(...loadRows('GET /patients/{id}, hand-written baseline', baselineResult), { label: 'GET /patients/{id}, hand-written baseline: statements', value: '5: select api_key → select patient → select patient_identifier → select patient_consent → insert tool_run' });
    notes.push(...failureNotes('baseline', baselineResult));

    const reads = measured.get('GET /patients/{id}')!;
    const ratio = perSecond(reads) / perSecond(baselineResult);
    const readP99 = percentile(reads.latenciesMs, 0.99);
    rows.push({ label: 'GET /patients/{id}: the service ÷ the baseline, requests/s', value: ratio.toFixed(2) });
    goals.push(
      { goal: 'GET /patients/{id} beside hand-written SQL (50 clients, one process)', target: `≥ ${RATIO_TARGET} × the baseline’s requests/s`, measured: `${ratio.toFixed(2)} × (${rate(perSecond(reads))} vs ${rate(perSecond(baselineResult))})`, met: ratio >= RATIO_TARGET },
      {
        goal: 'GET /patients/{id} p99 at 50 concurrent clients',
        target: `< ${P99_TARGET_MS} ms`,
        measured: ms(readP99),
        met: readP99 < P99_TARGET_MS,
        // With every client always waiting, the mean latency is the queue's: clients ÷ requests/s (Little's law).
        why: `the hand-written baseline's own p99 in this run was ${ms(percentile(baselineResult.latenciesMs, 0.99))}; ${CONCURRENCY} clients always waiting at ${rate(perSecond(reads))} make a mean wait of ${ms((1000 * CONCURRENCY) / perSecond(reads))}, so p99 < ${P99_TARGET_MS} ms needs over ${rate((1000 * CONCURRENCY) / P99_TARGET_MS)} on these cores`,
      },
    );
    const failed = [...measured].filter(([, result]) => result.failures > 0);
    goals.push({
      goal: 'No errors under load',
      target: '0 non-2xx or errors',
      measured: failed.length === 0 ? `0 of ${count([...measured.values()].reduce((sum, result) => sum + result.requests, 0))}` : failed.map(([name, result]) => `${name}: ${count(result.failures)}`).join('; '),
      met: failed.length === 0,
    });
    return { rows, goals, notes };
  },
};

/** A load run, with how many cores the serving process kept busy meanwhile. */
type Measured = LoadResult & { serviceCores: number | undefined };

type Target = Pick<RunningService, 'baseUrl' | 'cpuSeconds'>;

async function loadOn(target: Target, next: () => LoadRequest | undefined, seconds: number): Promise<Measured> {
  const cpuBefore = await target.cpuSeconds();
  const result = await runLoad({ baseUrl: target.baseUrl, headers: { authorization: `Bearer ${BENCH_API_KEY}` }, concurrency: CONCURRENCY, durationMs: seconds * 1000, next });
  const cpuAfter = await target.cpuSeconds();
  return { ...result, serviceCores: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / result.seconds };
}

const perSecond = (result: LoadResult) => result.requests / result.seconds;

function loadRows(name: string, result: Measured): Row[] {
  const sorted = result.latenciesMs;
  return [
    { label: `${name}: requests/s (cores busy)`, value: `${rate(perSecond(result))} (${result.serviceCores === undefined ? '—' : result.serviceCores.toFixed(2)})` },
    { label: `${name}: p50 / p99`, value: `${ms(percentile(sorted, 0.5))} / ${ms(percentile(sorted, 0.99))}` },
  ];
}

function statementRows(name: string, sent: string[] | undefined): Row[] {
  if (!sent) return [];
  return [{ label: `${name}: statements`, value: `${sent.length}: ${sent.map(describe).join(' → ')}` }];
}

function failureNotes(name: string, result: LoadResult): string[] {
  const statuses = Object.entries(result.outcomes).map(([outcome, times]) => `${outcome}: ${count(times)}`).join(', ');
  return result.failures === 0 ? [] : [`${name}: ${count(result.failures)} failed (${statuses})`, ...result.failureSamples.map((sample) => `${name} failure sample: ${sample.replace(/\s+/g, ' ')}`)];
}

/** The baseline server in a process of its own on `database`, answering once it is up. */
async function startBaseline(database: BenchDatabase): Promise<Target & { stop(): Promise<void> }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...(database.kind === 'server' ? { DATABASE_URL: database.url } : { PRM_DATA_DIR: database.dataDir }) };
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline/get-patient.ts', String(port)], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = once(child, 'exit');
  exited.catch(() => {});
  const baseUrl = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; ; await sleep(200)) {
    if (child.exitCode !== null) throw new Error(`the baseline exited with ${child.exitCode}:\n${output}`);
    const status = await fetch(`${baseUrl}/api/v1/prm/patients/00000000-0000-0000-0000-000000000000`, { headers: { authorization: `Bearer ${BENCH_API_KEY}` } }).then((response) => response.status, () => 0);
    if (status === 404) break;
    if (status !== 0 || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the baseline answered ${status}:\n${output}`);
    }
  }
  return {
    baseUrl,
    cpuSeconds: async () => {
      const { readFile } = await import('node:fs/promises');
      const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8').catch(() => undefined);
      if (!stat) return undefined;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The statements one request of each route sends, with the app in this process on the same database and key. */
async function countStatements(database: BenchDatabase, routes: readonly (readonly [string, () => LoadRequest])[]): Promise<Map<string, string[]>> {
  const opened = await openInProcess(database);
  try {
    const app = createApp(opened.services);
    const send = async (request: LoadRequest) => {
      const response = await app.request(request.path, {
        method: request.method,
        headers: { authorization: `Bearer ${BENCH_API_KEY}`, ...(request.body ? { 'content-type': 'application/json' } : {}) },
        body: request.body,
      });
      const text = await response.text();
      if (response.status >= 300) throw new Error(`${request.method} ${request.path} answered ${response.status}: ${text.slice(0, 300)}`);
    };
    // A warm service: the key was looked up once and is remembered (KEY_RECHECK_MS), so no request below looks it up.
    await send(routes[0][1]());
    const counted = new Map<string, string[]>();
    for (const [name, next] of routes) counted.set(name, (await opened.countQueries(() => send(next()))).queries);
    return counted;
  } finally {
    await opened.close();
  }
}

/**
 * "select patient", "insert tool_run", "begin": what a statement does, to which table. A statement with
 * CTEs is named by the write among them (the unflushed run log insert); a select by the first table
 * of its own FROM, not of a subquery (a patient with its identifiers is "select patient").
 */
function describe(sql: string): string {
  const text = sql.trim();
  const write = /\b(insert\s+into|update|delete\s+from)\s+"?(\w+)"?/i.exec(text);
  if (/^with\b/i.test(text) && write) return `${write[1].split(/\s+/)[0].toLowerCase()} ${write[2]}`;
  const verb = (/^\w+/.exec(text)?.[0] ?? '?').toLowerCase();
  if (verb !== 'select') return write ? `${verb} ${write[2]}` : verb;
  const outer = text.replace(/\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)/g, '()');
  const table = /\bfrom\s+"?(\w+)"?/i.exec(outer)?.[1] ?? /^select\s+(\w+)\(/i.exec(text)?.[1];
  return table ? `select ${table}` : 'select';
}
