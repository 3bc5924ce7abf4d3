import { z } from 'zod';
import { invalid } from '../errors.js';
import { isYearInRange } from '../schema.js';

/** Keyset pagination inputs shared by every list. */
export const pageInput = {
  limit: z.number().int().min(1).max(200).default(50).describe('How many items to return (1-200, default 50).'),
  cursor: z.string().max(200).optional().describe('The `nextCursor` of the previous page; omit for the first page.'),
};

export const pageOutput = <Item extends z.ZodType>(item: Item) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  });

/** A cursor is the sort position of the last item: (time, id), newest first. */
export type Position = { at: Date; id: string };

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url');
}

/**
 * Reads a cursor this API gave out: base64url JSON in the shape `schema` says. Anything else (not
 * base64, not JSON, another shape, a value the database could not take) is a 400 naming `cursor`.
 */
export function readCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = schema.safeParse(decoded);
  if (!parsed.success) throw invalid('The cursor is not one this API gave out.', [{ path: 'cursor', message: 'invalid cursor' }]);
  return parsed.data;
}

const PositionCursor = z.tuple([
  z.iso.datetime().refine((text) => isYearInRange(new Date(text).getUTCFullYear())),
  z.uuid(),
]);

export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  const [at, id] = readCursor(cursor, PositionCursor);
  return { at: new Date(at), id };
}

/** The ORM condition on an instant for a range [since, until) of ISO instants, either optional; undefined when neither is given. */
export function instantRange(since: string | undefined, until: string | undefined): { $gte?: Date; $lt?: Date } | undefined {
  if (since === undefined && until === undefined) return undefined;
  return { ...(since ? { $gte: new Date(since) } : {}), ...(until ? { $lt: new Date(until) } : {}) };
}

/** The ORM condition "after `position`" for a list sorted by (`field` desc, id desc). */
export function after<Field extends string>(field: Field, position: Position | undefined) {
  if (!position) return {};
  return { $or: [{ [field]: { $lt: position.at } }, { [field]: position.at, id: { $lt: position.id } }] };
}

/** Cuts the one extra row fetched to learn whether another page exists. */
export function page<Row, View>(rows: Row[], limit: number, position: (row: Row) => Position, view: (row: Row) => View) {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return { items: items.map(view), nextCursor: more && last ? encodeCursor(position(last)) : null };
}
