import { JsonType, type EntitySchema, type MetadataStorage } from '@mikro-orm/core';
import type { Sql } from './sql.js';

/** SQL with `?` placeholders and their values (see src/db/sql.ts); `name` names it as a CTE in `oneStatement`. */
export type Statement = { sql: string; params: unknown[]; name?: string };

/**
 * `insert into <table> (<columns>) values (…), (…)` for whole rows of an entity: table, columns and
 * JSON encoding come from the entity's metadata, so the rows are typed like the entity. For the hot
 * paths that write several tables at once (see `oneStatement`); elsewhere, `em.create` and the flush.
 */
export function insertRows<T extends object>(orm: { getMetadata(): MetadataStorage }, entity: EntitySchema<T>, rows: readonly T[]): Statement {
  if (rows.length === 0) throw new Error(`insertRows(${entity.meta.className}) needs at least one row`);
  const meta = orm.getMetadata().get(entity.meta.className);
  const names = Object.keys(rows[0]) as (keyof T & string)[];
  const properties = names.map((name) => {
    const property = meta.properties[name as keyof typeof meta.properties];
    if (!property) throw new Error(`${entity.meta.className} has no property ${name}`);
    return property;
  });
  const columns = properties.map((property) => property.fieldNames[0]).join(', ');
  const tuple = `(${names.map(() => '?').join(', ')})`;
  const params = rows.flatMap((row) =>
    names.map((name, index) => {
      const value = row[name] ?? null;
      return value !== null && properties[index].customType instanceof JsonType ? JSON.stringify(value) : value;
    }),
  );
  return { sql: `insert into ${meta.tableName} (${columns}) values ${rows.map(() => tuple).join(', ')}`, params };
}

/**
 * Several writes sent as one statement, one round trip: each as a data-modifying CTE (PostgreSQL runs
 * every one of them, once), then `last`, whose rows are the statement's result. Atomic on its own. A
 * CTE that only reads runs only if `last` names it (see src/db/unflushed.ts).
 */
export function oneStatement(writes: readonly Statement[], last: Statement): Statement {
  const ctes = writes.map((write, index) => `${write.name ?? `w${index}`} as (${write.sql})`);
  return {
    sql: ctes.length > 0 ? `with ${ctes.join(',\n')}\n${last.sql}` : last.sql,
    params: [...writes.flatMap((write) => write.params), ...last.params],
  };
}

/** Runs the writes as one statement (see `oneStatement`). */
export async function executeAll(sql: Sql, writes: readonly Statement[]): Promise<void> {
  await sql.query(oneStatement(writes, { sql: 'select 1', params: [] }));
}
