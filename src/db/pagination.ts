import { z } from 'zod';
import { invalid } from '../errors.js';

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

export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string') throw new Error('bad cursor');
    return { at: date, id };
  } catch {
    throw invalid('The cursor is not one this API gave out.', [{ path: 'cursor', message: 'invalid cursor' }]);
  }
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
