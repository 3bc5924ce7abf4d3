import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { systemClock, type Clock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import type { Caller, Services } from '../src/context.js';
import { TwilioGateway } from '../src/channels/twilio/gateway.js';
import { EmailGateway } from '../src/channels/email/gateway.js';
import { createMediaServices } from '../src/modules/media/storage.js';
import { jobHandlers } from '../src/jobs/handlers.js';
import { JobWorker } from '../src/jobs/worker.js';
import { openEmbeddedDatabase } from '../src/db/embedded.js';
import { migrate, ormOptions } from '../src/db/orm.js';
import { DirectSql } from '../src/db/sql.js';
import { createLogger } from '../src/log.js';
import { createTenant, tenantInfo } from '../src/modules/tenancy/service.js';
import { createEmbedder } from '../src/modules/vector/local-embedder.js';
import { ApiKeys } from '../src/modules/tenancy/api-keys.js';
import { TwilioNumbers } from '../src/modules/conversations/twilio-numbers.js';
import { createRateLimits } from '../src/http/rate-limits.js';
import { registry } from '../src/tools/registry.js';
import { runOperation } from '../src/tools/runner.js';
import type { BenchDatabase } from './section.js';

export type InProcess = {
  services: Services;
  /** The SQL statements `work` sent (transaction begin and commit included), as the driver sent them: the ORM's and the typed store's alike. */
  countQueries<T>(work: () => Promise<T>): Promise<{ queries: string[]; result: T }>;
  close(): Promise<void>;
};

/**
 * Every statement the process sends goes through node-postgres's Client#query, the ORM's and the
 * typed store's (src/db/sql.ts) alike: counted there while `countQueries` records.
 */
let recording: string[] | undefined;
const clientQuery = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const [query] = args;
  recording?.push(typeof query === 'string' ? query : ((query as { text?: string })?.text ?? ''));
  return clientQuery.apply(this, args);
} as typeof pg.Client.prototype.query;

/** The service's pool size (PRM_DB_POOL_MAX or its default), so in-process numbers match the service's setup. */
const POOL_MAX = loadConfig({ PRM_DB_POOL_MAX: process.env.PRM_DB_POOL_MAX }).poolMax;

/**
 * Services built in this process, as tests/support/harness.ts builds them, on the bench database:
 * the job worker is not started (jobs that operations enqueue stay queued) unless a section starts
 * it, no language model; `config` adds environment settings (a Twilio stand-in's URL).
 * The embedded folder is opened here (this process owns it until `close`). Query logging is off
 * except inside `countQueries`, so it costs nothing while timing.
 */
export async function openInProcess(database: BenchDatabase, options: { clock?: Clock; config?: Record<string, string> } = {}): Promise<InProcess> {
  const log = createLogger({ level: 'silent' });
  const embedded = database.kind === 'embedded' ? await openEmbeddedDatabase({ dataDir: database.dataDir, log }) : undefined;
  const url = embedded?.url ?? (database.kind === 'server' ? database.url : '');
  const orm = await MikroORM.init(ormOptions({ url, poolMax: POOL_MAX }));
  await migrate(orm);
  const config = loadConfig({ LOG_LEVEL: 'silent', ...options.config });
  const sql = new DirectSql(orm);
  const services: Services = {
    config,
    orm,
    sql,
    databaseKind: database.kind,
    log,
    clock: options.clock ?? systemClock,
    registry,
    // Started only by sections that measure jobs: then with the service's concurrency and lock.
    jobs: new JobWorker(() => services, jobHandlers, { concurrency: config.workerConcurrency, pollMs: 1000, lockMs: config.jobLockMs }),
    twilio: new TwilioGateway(() => services),
    email: new EmailGateway(config.email),
    media: createMediaServices(config),
    agentModel: undefined,
    embedder: createEmbedder(config, log),
    rateLimits: createRateLimits(config.rateLimits, log),
    apiKeys: new ApiKeys(sql),
    twilioNumbers: new TwilioNumbers(sql),
  };
  return {
    services,
    countQueries: async (work) => {
      const sent: string[] = [];
      recording = sent;
      try {
        return { queries: sent, result: await work() };
      } finally {
        recording = undefined;
      }
    },
    close: async () => {
      services.email.close();
      await orm.close();
      await embedded?.close();
    },
  };
}

/** A clinic of its own for a section, and a staff caller acting in it. */
export async function benchTenant(services: Services, name: string): Promise<Caller> {
  const slug = `bench-${randomUUID().slice(0, 8)}`;
  const tenant = await createTenant(services.orm.em.fork(), { slug, name, timeZone: 'America/New_York' });
  return { tenant: tenantInfo(tenant), actor: { kind: 'staff', id: 'bench', role: 'staff' }, channel: 'cli' };
}

/** Runs a tool through the runner and returns its output; a refusal or failure stops the bench. */
export async function run<Output = Record<string, unknown>>(services: Services, caller: Caller, tool: string, input: unknown): Promise<Output> {
  const outcome = await runOperation(services, caller, { tool, input });
  if (!outcome.ok) throw new Error(`${tool} failed: ${outcome.error.code}: ${outcome.error.message}`);
  return outcome.output as Output;
}
