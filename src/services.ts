import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Services } from './context.js';
import { openDatabase } from './db/database.js';
import { DirectSql } from './db/sql.js';
import type { Logger } from './log.js';
import { jobHandlers } from './jobs/handlers.js';
import { JobWorker } from './jobs/worker.js';
import { TwilioGateway } from './channels/twilio/gateway.js';
import { EmailGateway } from './channels/email/gateway.js';
import { createMediaServices } from './modules/media/storage.js';
import { agentModelFromConfig } from './agent/model.js';
import { registry } from './tools/registry.js';
import { createEmbedder } from './modules/vector/local-embedder.js';
import { createRateLimits } from './http/rate-limits.js';
import { ApiKeys } from './modules/tenancy/api-keys.js';
import { TwilioNumbers } from './modules/conversations/twilio-numbers.js';

export type RunningServices = Services & { close(): Promise<void> };

/** Opens the database (migrating it) and builds the process-wide services. */
export async function openServices(config: Config, log: Logger, clock: Clock = systemClock): Promise<RunningServices> {
  const database = await openDatabase(config, log);
  const sql = new DirectSql(database.orm);
  const services: RunningServices = {
    config,
    orm: database.orm,
    sql,
    databaseKind: database.kind,
    log,
    clock,
    registry,
    jobs: new JobWorker(() => services, jobHandlers, { concurrency: config.workerConcurrency, pollMs: 1000, lockMs: config.jobLockMs }),
    twilio: new TwilioGateway(() => services),
    email: new EmailGateway(config.email),
    media: createMediaServices(config),
    agentModel: agentModelFromConfig(config),
    embedder: createEmbedder(config, log),
    rateLimits: createRateLimits(config.rateLimits, log),
    apiKeys: new ApiKeys(sql),
    twilioNumbers: new TwilioNumbers(sql),
    close: async () => {
      await services.jobs.stop();
      services.email.close();
      await services.embedder.close();
      await database.close();
    },
  };
  return services;
}
