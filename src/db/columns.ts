import type { EntitySchema, MetadataStorage } from '@mikro-orm/core';

/** Some of an entity's properties, selected in a hot-path statement and read back as the entity's. */
export type Columns<T extends object, K extends keyof T & string> = {
  /** `alias.column as "prefix.property", …`, for the statement's select list. */
  sql: string;
  /** The properties out of a row of that statement, typed as the entity's (timestamps as Date). */
  read(row: Record<string, unknown>): Pick<T, K>;
};

/**
 * A select list from the entity's metadata, and its reader: a join's row comes back keyed by
 * property, with no hand-written list of columns or row mapping. (The driver hands timestamps over
 * as text; they are read as Date, as the entity has them.)
 */
export function entityColumns<T extends object, K extends keyof T & string>(
  orm: { getMetadata(): MetadataStorage },
  entity: EntitySchema<T>,
  from: { alias: string; prefix: string; properties: readonly K[] },
): Columns<T, K> {
  const meta = orm.getMetadata().get(entity.meta.className);
  const properties = from.properties.map((name) => {
    const property = meta.properties[name as keyof typeof meta.properties];
    if (!property) throw new Error(`${entity.meta.className} has no property ${name}`);
    return { name, column: property.fieldNames[0], isDate: property.runtimeType === 'Date' };
  });
  return {
    sql: properties.map(({ name, column }) => `${from.alias}.${column} as "${from.prefix}${name}"`).join(', '),
    read(row) {
      const read: Record<string, unknown> = {};
      for (const { name, isDate } of properties) {
        const value = row[`${from.prefix}${name}`];
        read[name] = isDate && value !== null && value !== undefined && !(value instanceof Date) ? new Date(value as string) : value;
      }
      return read as Pick<T, K>;
    },
  };
}
