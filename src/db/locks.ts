import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Takes the locks named `names` until the transaction of `em` ends: transactions that take the same
 * name run this part one at a time, on any number of processes sharing the database. For checks that
 * no row can guard, such as "no one like this patient exists yet". Several names are taken in one
 * statement, in the order of their hashes (the locks' own keys), so two transactions taking
 * overlapping sets never wait on each other in a circle. Outside a transaction a lock would be
 * released at once, so it refuses to run there.
 */
export async function lockUntilCommit(em: EntityManager, ...names: string[]): Promise<void> {
  if (!em.isInTransaction()) throw new Error(`lockUntilCommit(${names.join(', ')}) needs a transaction`);
  if (names.length === 0) return;
  const values = names.map(() => '(?)').join(', ');
  await em.execute(
    `select pg_advisory_xact_lock(key) from (select distinct hashtextextended(name, 0) as key from (values ${values}) as names (name) order by key) as keys`,
    names,
  );
}
