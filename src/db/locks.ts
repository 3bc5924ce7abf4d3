import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Takes the lock named `name` until the transaction of `em` ends: transactions that take the same
 * name run this part one at a time, on any number of processes sharing the database. For checks that
 * no row can guard, such as "no one like this patient exists yet". Outside a transaction it would be
 * released at once, so it refuses to run there.
 */
export async function lockUntilCommit(em: EntityManager, name: string): Promise<void> {
  if (!em.isInTransaction()) throw new Error(`lockUntilCommit(${name}) needs a transaction`);
  await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [name]);
}
