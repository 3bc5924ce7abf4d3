import type { EntitySchema, MetadataStorage } from '@mikro-orm/core';

type Metadata = { getMetadata(): MetadataStorage };

/** Some of an entity's properties, selected in a hot-path statement and read back as the entity's. */
export type Columns<T extends object, K extends keyof T & string> = {
  /** `alias.column as "prefix.property", …`, for the statement's select list. */
  sql: string;
  /** The properties out of a row of that statement, typed as the entity's (timestamps as Date). */
  read(row: Record<string, unknown>): Pick<T, K>;
};

/** An entity's properties as one JSON object per row, for `json_agg` of a child table. */
export type JsonColumns<T extends object, K extends keyof T & string> = {
  /** `json_build_object('property', alias.column, …)`. */
  sql: string;
  /** One such object, typed as the entity's (timestamps as Date). */
  read(object: Record<string, unknown>): Pick<T, K>;
};

type Property = { name: string; column: string; isDate: boolean };

function propertiesOf<T extends object>(orm: Metadata, entity: EntitySchema<T>, names: readonly string[]): Property[] {
  const meta = orm.getMetadata().get(entity.meta.className);
  return names.map((name) => {
    const property = meta.properties[name as keyof typeof meta.properties];
    if (!property) throw new Error(`${entity.meta.className} has no property ${name}`);
    return { name, column: property.fieldNames[0], isDate: property.runtimeType === 'Date' };
  });
}

/** The properties out of `source` under `key(name)`; timestamps, which come as text, read as Date. */
function reader<T>(properties: readonly Property[], key: (name: string) => string): (source: Record<string, unknown>) => T {
  return (source) => {
    const read: Record<string, unknown> = {};
    for (const { name, isDate } of properties) {
      const value = source[key(name)];
      read[name] = isDate && value !== null && value !== undefined && !(value instanceof Date) ? new Date(value as string) : value;
    }
    return read as T;
  };
}

/**
 * A select list from the entity's metadata, and its reader: a join's row comes back keyed by
 * property, with no hand-written list of columns or row mapping. (The driver hands timestamps over
 * as text; they are read as Date, as the entity has them.)
 */
export function entityColumns<T extends object, K extends keyof T & string>(
  orm: Metadata,
  entity: EntitySchema<T>,
  from: { alias: string; prefix: string; properties: readonly K[] },
): Columns<T, K> {
  const properties = propertiesOf(orm, entity, from.properties);
  return {
    sql: properties.map(({ name, column }) => `${from.alias}.${column} as "${from.prefix}${name}"`).join(', '),
    read: reader(properties, (name) => `${from.prefix}${name}`),
  };
}

/**
 * A row of the entity as a JSON object keyed by property, from its metadata: a parent and its
 * children in one query (`coalesce((select json_agg(${sql} order by …) from child alias where …), '[]')`).
 */
export function entityJson<T extends object, K extends keyof T & string>(
  orm: Metadata,
  entity: EntitySchema<T>,
  from: { alias: string; properties: readonly K[] },
): JsonColumns<T, K> {
  const properties = propertiesOf(orm, entity, from.properties);
  return {
    sql: `json_build_object(${properties.map(({ name, column }) => `'${name}', ${from.alias}.${column}`).join(', ')})`,
    read: reader(properties, (name) => name),
  };
}

/**
 * `build(orm)` made once per ORM and kept: the select lists of a module's statements come from the
 * metadata, which does not change while the ORM lives.
 */
export function perOrm<T>(build: (orm: Metadata) => T): (orm: Metadata) => T {
  const built = new WeakMap<Metadata, T>();
  return (orm) => {
    let known = built.get(orm);
    if (known === undefined) {
      known = build(orm);
      built.set(orm, known);
    }
    return known;
  };
}
