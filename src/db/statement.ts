import { JsonType, type EntitySchema, type MetadataStorage } from '@mikro-orm/core';
import type { Sql } from './sql.js';

/** A JSON column's value already encoded (measured before writing, say): `insertRows` sends it as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

/** SQL with `?` placeholders and their values (see src/db/sql.ts); `name` names it as a CTE in `oneStatement`. */
export type Statement = { sql: string; params: unknown[]; name?: string };

/**
 * `insert into <table> (<columns>) values (…), (…)` for whole rows of an entity: table, columns and
 * JSON encoding come from the entity's metadata, so the rows are typed like the entity. For the hot
 * paths that write several tables at once (see `oneStatement`); elsewhere, `em.create` and the flush.
 */
export function insertRows<T extends object>(orm: { getMetadata(): MetadataStorage }, entity: EntitySchema<T>, rows: readonly T[]): Statement {
  if (rows.length === 0) throw new Error(`insertRows(${entity.meta.className}) needs at least one row`);
  const names = Object.keys(rows[0]) as (keyof T & string)[];
  const shape = insertShape(orm, entity.meta.className, names, rows.length);
  const params = rows.flatMap((row) =>
    names.map((name, index) => {
      const value = row[name] ?? null;
      if (value instanceof JsonText) return value.text;
      return value !== null && shape.json[index] ? JSON.stringify(value) : value;
    }),
  );
  return { sql: shape.sql, params };
}

/**
 * `insert into <table> (<columns>) select …, … where <condition>`: one row of the entity, inserted
 * only when `condition` (SQL, its values in `params`) holds when the statement runs.
 */
export function insertRowWhere<T extends object>(orm: { getMetadata(): MetadataStorage }, entity: EntitySchema<T>, row: T, condition: Statement): Statement {
  const insert = insertRows(orm, entity, [row]);
  const valuesAt = insert.sql.lastIndexOf(' values (');
  return {
    sql: `${insert.sql.slice(0, valuesAt)} select ${insert.sql.slice(valuesAt + ' values ('.length, -1)} where ${condition.sql}`,
    params: [...insert.params, ...condition.params],
  };
}

/** An insert's text and which of its columns hold JSON, made once per entity, properties and row count. */
const insertShapes = new WeakMap<MetadataStorage, Map<string, { sql: string; json: boolean[] }>>();

function insertShape(orm: { getMetadata(): MetadataStorage }, className: string, names: readonly string[], rowCount: number): { sql: string; json: boolean[] } {
  const metadata = orm.getMetadata();
  let shapes = insertShapes.get(metadata);
  if (!shapes) insertShapes.set(metadata, (shapes = new Map()));
  const key = `${className}:${rowCount}:${names.join(',')}`;
  let shape = shapes.get(key);
  if (!shape) {
    const meta = metadata.get(className);
    const properties = names.map((name) => {
      const property = meta.properties[name as keyof typeof meta.properties];
      if (!property) throw new Error(`${className} has no property ${name}`);
      return property;
    });
    const tuple = `(${names.map(() => '?').join(', ')})`;
    shape = {
      sql: `insert into ${meta.tableName} (${properties.map((property) => property.fieldNames[0]).join(', ')}) values ${Array.from({ length: rowCount }, () => tuple).join(', ')}`,
      json: properties.map((property) => property.customType instanceof JsonType),
    };
    // Bulk inserts come in many sizes: only small ones are kept.
    if (rowCount <= 8) shapes.set(key, shape);
  }
  return shape;
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

/** Runs the writes as one statement (see `oneStatement`); `reads`, a select list over their named CTEs, comes back as its row. */
export async function executeAll(sql: Sql, writes: readonly Statement[], reads = '1'): Promise<Record<string, unknown>> {
  const [row] = await sql.query<Record<string, unknown>>(oneStatement(writes, { sql: `select ${reads}`, params: [] }));
  return row;
}
