import { createContext, type AppContext, type Caller, type Services } from '../../src/context.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { getPatient } from '../../src/modules/patients/ops/get.js';
import { CreateTicketInput } from '../../src/modules/tickets/schema.js';
import { createTicket } from '../../src/modules/tickets/service.js';
import { newId } from '../../src/ids.js';
import { runOperation, tenantEntityManager } from '../../src/tools/runner.js';
import { insertToolRun } from '../../src/tools/tool-run.js';
import { patientInput, seededRandom } from '../dataset.js';
import { benchTenant, openInProcess, run, type InProcess } from '../in-process.js';
import type { Row, Section } from '../section.js';
import { ms, summarize, type Summary } from '../stats.js';

const CALLS = 2000;
const WARM_UP = 200;
const PATIENTS = 200;
/** The goal: what the runner may add to a read, at the median, on the server database. */
const OVERHEAD_GOAL_MS = 1;

export const runnerCost: Section = {
  title: 'Runner cost',
  about:
    `In-process, on the section's own clinic of ${PATIENTS} patients. *Direct* calls the service function with the context \`createContext\` builds on a forked, tenant-filtered EntityManager ` +
    '(for the write: inside `em.transactional`, then flush); *runner* is `runOperation` (lookup, access check, zod input and output, the `tool_run` row, ' +
    `its own unit of work). ${CALLS.toLocaleString('en-US')} calls of each after ${WARM_UP} of warm-up, interleaved (the order alternates), on the same patients. ` +
    '*Added* is runner p50 minus direct p50; queries are the SQL statements one call sends (transaction begin and commit included). ' +
    'The last line times the run log’s own statement alone (500 inserts of a get_patient run).',
  async run(database, progress) {
    const opened = await openInProcess(database);
    try {
      const { services } = opened;
      const caller = await benchTenant(services, 'Bench runner clinic');
      progress(`creating ${PATIENTS} patients`);
      const patientIds: string[] = [];
      for (let index = 0; index < PATIENTS; index++) patientIds.push((await run<{ id: string }>(services, caller, 'create_patient', patientInput(index))).id);

      const random = seededRandom(42);
      const context = (em: EntityManager): AppContext => createContext(services, caller, em);
      const fork = () => tenantEntityManager(services, caller.tenant.id);

      progress(`get_patient: ${CALLS} direct and ${CALLS} runner calls`);
      const read = await compare({
        input: () => ({ id: patientIds[Math.floor(random() * patientIds.length)] }),
        direct: (input) => getPatient(context(fork()), input.id),
        runner: (input) => succeed(services, caller, 'get_patient', input),
      });

      const ticket = { subject: 'Call back about the invoice', description: 'Asked on the phone; prefers mornings.', category: 'billing' };
      const parsedTicket = CreateTicketInput.parse(ticket);
      progress(`create_ticket: ${CALLS} direct and ${CALLS} runner calls`);
      const write = await compare({
        input: () => ticket,
        direct: () =>
          fork().transactional(async (transaction) => {
            const created = await createTicket(context(transaction), parsedTicket);
            await transaction.flush();
            return created;
          }),
        runner: (input) => succeed(services, caller, 'create_ticket', input),
      });

      const queries = await queryCounts(opened, caller, patientIds[0], parsedTicket);
      const logRow = await timeRunLogInsert(services, caller, await getPatient(context(fork()), patientIds[0]));
      const readAdded = read.runner.p50 - read.direct.p50;
      return {
        rows: [
          ...comparisonRows('get_patient', read, queries.read),
          ...comparisonRows('create_ticket', write, queries.write),
          { label: 'One tool_run insert on its own (as after a read): p50 / p95', value: `${ms(logRow.p50)} / ${ms(logRow.p95)}` },
        ],
        goals:
          database.kind === 'server'
            ? [{ goal: 'Runner overhead, get_patient p50', target: `< ${OVERHEAD_GOAL_MS} ms`, measured: ms(readAdded), met: readAdded < OVERHEAD_GOAL_MS }]
            : [],
      };
    } finally {
      await opened.close();
    }
  },
};

async function succeed(services: Services, caller: Caller, tool: string, input: unknown): Promise<unknown> {
  const outcome = await runOperation(services, caller, { tool, input });
  if (!outcome.ok) throw new Error(`${tool} failed: ${outcome.error.message}`);
  return outcome.output;
}

type Comparison = { direct: Summary; runner: Summary };

/** Times both ways on the same inputs, alternating which goes first so neither always runs warm. */
async function compare<I>(options: { input: () => I; direct: (input: I) => Promise<unknown>; runner: (input: I) => Promise<unknown> }): Promise<Comparison> {
  const direct: number[] = [];
  const runner: number[] = [];
  const time = async (call: () => Promise<unknown>, samples: number[], keep: boolean) => {
    const started = performance.now();
    await call();
    if (keep) samples.push(performance.now() - started);
  };
  for (let index = 0; index < WARM_UP + CALLS; index++) {
    const input = options.input();
    const keep = index >= WARM_UP;
    const both = [() => time(() => options.direct(input), direct, keep), () => time(() => options.runner(input), runner, keep)];
    if (index % 2 === 1) both.reverse();
    for (const call of both) await call();
  }
  return { direct: summarize(direct), runner: summarize(runner) };
}

/**
 * The run log's share: after a read the runner inserts the `tool_run` row by itself, outside any
 * transaction, so it is a round trip and a commit of its own. Timed alone, with the runner's own
 * `insertToolRun`, on a get_patient output.
 */
async function timeRunLogInsert(services: Services, caller: Caller, output: unknown): Promise<Summary> {
  const samples: number[] = [];
  for (let index = 0; index < 550; index++) {
    const row = {
      id: newId(), tenantId: caller.tenant.id, tool: 'get_patient', status: 'succeeded' as const, actorKind: caller.actor.kind, actorId: caller.actor.id,
      channel: caller.channel, conversationId: null, requestId: null, input: { id: newId() }, output, errorCode: null, errorMessage: null,
      durationMs: 1, startedAt: new Date(), idempotencyKey: null, replayOf: null,
    };
    const started = performance.now();
    await insertToolRun(services.sql, services.orm, row);
    if (index >= 50) samples.push(performance.now() - started);
  }
  return summarize(samples);
}

type QueryCount = { direct: number; runner: number };

async function queryCounts(opened: InProcess, caller: Caller, patientId: string, ticket: ReturnType<typeof CreateTicketInput.parse>): Promise<{ read: QueryCount; write: QueryCount }> {
  const { services } = opened;
  const context = (em: EntityManager): AppContext => createContext(services, caller, em);
  const fork = () => tenantEntityManager(services, caller.tenant.id);
  const queries = async (work: () => Promise<unknown>) => (await opened.countQueries(work)).queries.length;
  return {
    read: {
      direct: await queries(() => getPatient(context(fork()), patientId)),
      runner: await queries(() => succeed(services, caller, 'get_patient', { id: patientId })),
    },
    write: {
      direct: await queries(() => fork().transactional((transaction) => createTicket(context(transaction), ticket))),
      runner: await queries(() => succeed(services, caller, 'create_ticket', ticket)),
    },
  };
}

function comparisonRows(tool: string, result: Comparison, queries: QueryCount): Row[] {
  const added = result.runner.p50 - result.direct.p50;
  return [
    { label: `${tool}: direct p50 / p95`, value: `${ms(result.direct.p50)} / ${ms(result.direct.p95)}` },
    { label: `${tool}: runner p50 / p95`, value: `${ms(result.runner.p50)} / ${ms(result.runner.p95)}` },
    { label: `${tool}: added by the runner, p50`, value: `${ms(added)} (×${(result.runner.p50 / result.direct.p50).toFixed(2)})` },
    { label: `${tool}: queries per call, direct / runner`, value: `${queries.direct} / ${queries.runner}` },
  ];
}
