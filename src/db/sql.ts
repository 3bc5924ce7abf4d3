import { createHash } from 'node:crypto';
import type { EntityManager, MikroORM, Platform } from '@mikro-orm/postgresql';
import type { Statement } from './statement.js';

/** Runs statements, and says whether they share a transaction. */
export type Sql = {
  query<T = Record<string, unknown>>(statement: Statement): Promise<T[]>;
  readonly inTransaction: boolean;
};

/** A pooled `pg` client, as the ORM's knex pool hands it out. */
type Client = { query(query: string | { text: string; values: unknown[]; name?: string }): Promise<{ rows: unknown[]; command: string }> };
type Pool = { acquireConnection(): Promise<Client>; releaseConnection(client: Client): Promise<void> };

/** The statement with each `?` outside quoted literals and identifiers replaced: the n-th (from 0) by `placeholder(n)`. */
function withPlaceholders(sql: string, placeholder: (index: number) => string): string {
  let index = 0;
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g, (match) => (match === '?' ? placeholder(index++) : match));
}

/** The statement with its values written in, quoted as the ORM quotes them: one simple query. */
function inlined(statement: Statement, platform: Platform): string {
  return withPlaceholders(statement.sql, (index) => platform.quoteValue(statement.params[index]));
}

/** Each statement's text with `$n` placeholders and its prepared statement's name, made once. */
const prepared = new Map<string, { text: string; name: string }>();

function preparedFor(sql: string): { text: string; name: string } {
  let known = prepared.get(sql);
  if (!known) {
    known = { text: withPlaceholders(sql, (index) => `$${index + 1}`), name: `prm_${createHash('sha1').update(sql).digest('base64url').slice(0, 20)}` };
    prepared.set(sql, known);
  }
  return known;
}

/**
 * The SQL every message runs (the webhook, the turn, its delivery, the job claims), straight on the
 * ORM's pooled connections: PostgreSQL binds the parameters, and each statement is a named prepared
 * statement, parsed and planned once per connection, where the ORM sends every query as new text
 * with its values inlined, to be parsed and planned again. Elsewhere, the ORM. (The embedded
 * database's server gives each connection its own statement names: src/db/embedded-statements.ts.)
 */
export class DirectSql implements Sql {
  readonly inTransaction = false;

  constructor(private readonly orm: MikroORM) {}

  private async run<T>(client: Client, statement: Statement): Promise<T[]> {
    const { text, name } = preparedFor(statement.sql);
    return (await client.query({ text, values: statement.params, name })).rows as T[];
  }

  private get pool(): Pool {
    return this.orm.em.getConnection().getKnex().client as unknown as Pool;
  }

  /** One statement on a connection of its own: atomic, committed when it answers. */
  async query<T = Record<string, unknown>>(statement: Statement): Promise<T[]> {
    const client = await this.pool.acquireConnection();
    try {
      return await this.run<T>(client, statement);
    } finally {
      await this.pool.releaseConnection(client);
    }
  }

  /** `work`'s statements in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  async transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.acquireConnection();
    try {
      await client.query('begin');
      try {
        const result = await work({ inTransaction: true, query: (statement) => this.run(client, statement) });
        // A statement that failed inside `work` and was caught there still aborted the transaction: its commit is a rollback.
        const committed = await client.query('commit');
        if (committed.command !== 'COMMIT') throw new Error('the transaction was rolled back: one of its statements failed');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      }
    } finally {
      await this.pool.releaseConnection(client);
    }
  }
}

/**
 * Statements inside an ORM transaction, for the rare paths that write entities and statements
 * together; placeholders read as DirectSql reads them (the ORM's own would also replace a `?` in a literal).
 */
export function ormSql(em: EntityManager): Sql {
  return { inTransaction: em.isInTransaction(), query: <T>(statement: Statement) => em.execute<T[]>(inlined(statement, em.getPlatform())) };
}
