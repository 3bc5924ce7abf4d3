import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Services } from './context.js';
import { openDatabase } from './db/database.js';
import type { Logger } from './log.js';
import { registry } from './tools/registry.js';

export type RunningServices = Services & { close(): Promise<void> };

/** Opens the database (migrating it) and builds the process-wide services. */
export async function openServices(config: Config, log: Logger, clock: Clock = systemClock): Promise<RunningServices> {
  const database = await openDatabase(config, log);
  return {
    config,
    orm: database.orm,
    databaseKind: database.kind,
    log,
    clock,
    registry,
    close: () => database.close(),
  };
}
