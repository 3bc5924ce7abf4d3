import { MikroORM, PostgreSqlDriver, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from '../../migrations/index.js';
import { entities } from './entities.js';
import { prepareVectorStorage } from '../modules/vector/storage.js';

/** The ORM settings, shared by the service and MikroORM's own CLI. */
export function ormOptions(options: { url: string; poolMax: number }): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl: options.url,
    entities,
    extensions: [Migrator],
    // Held open, not opened on demand: a burst after a quiet spell otherwise starts new server
    // processes (forks, cold catalog caches) and prepares every hot-path statement again on each, at
    // the moment the service is busiest. Measured in the agent bench: the first seconds at 100
    // messages/s answered 30-80/s and built a backlog that some runs never worked off.
    pool: { min: options.poolMax, max: options.poolMax },
    forceUtcTimezone: true,
    allowGlobalContext: false,
    ignoreUndefinedInQuery: true,
    discovery: { warnWhenNoEntities: false },
    migrations: {
      migrationsList,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
  };
}

export function createOrm(options: { url: string; poolMax: number }): Promise<MikroORM> {
  return MikroORM.init(ormOptions(options));
}

/**
 * Applies every pending migration, then the start-time schema step that depends on the server
 * (vector storage where pgvector exists); returns the names applied and whether vectors are stored.
 */
export async function migrate(orm: MikroORM): Promise<{ applied: string[]; vectors: boolean }> {
  const applied = await orm.getMigrator().up();
  const vectors = await prepareVectorStorage(orm);
  return { applied: applied.map((migration) => migration.name), vectors };
}
