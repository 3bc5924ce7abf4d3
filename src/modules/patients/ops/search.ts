import { z } from 'zod';
import type { AppContext } from '../../../context.js';
import { decodeCursor, encodeCursor, readCursor } from '../../../db/pagination.js';
import { invalid } from '../../../errors.js';
import { matchColumns } from '../statements.js';
import type { SearchPatientsInput } from '../schema.js';
import { normalizePhone } from './normalize.js';
import { patientView } from './view.js';

/**
 * Two orders, both keyset-paginated on a unique sort key, so pages neither skip nor repeat rows:
 * - without `q`: newest first, (created_at, id), with the shared time cursor;
 * - with `q`: best match first, (score, id). The score is rounded to a numeric so the cursor can
 *   carry it exactly (a float4 sent back as text would not compare equal). Its cursor is tagged
 *   `q` and only valid for the same `q`: a cursor from another query gives a consistent but
 *   meaningless continuation, never another tenant's rows.
 */
type ScoreCursor = { score: string; id: string };

function encodeScoreCursor(cursor: ScoreCursor): string {
  return Buffer.from(JSON.stringify(['q', cursor.score, cursor.id])).toString('base64url');
}

const ScoreCursor = z.tuple([z.literal('q'), z.string().regex(/^\d{1,6}(\.\d{1,9})?$/), z.uuid()]);

function decodeScoreCursor(cursor: string): ScoreCursor {
  const [, score, id] = readCursor(cursor, ScoreCursor);
  return { score, id };
}

/** A LIKE pattern that matches `text` literally anywhere. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;


/**
 * Patients of the clinic by name (fuzzy), phone, email, date of birth or identifier; active only
 * unless `includeInactive`. One statement of the typed store (pg_trgm), the tenant named explicitly.
 */
export async function searchPatients(ctx: AppContext, input: z.output<typeof SearchPatientsInput>) {
  if (input.identifierSystem !== undefined && input.identifier === undefined) {
    throw invalid('identifierSystem needs identifier.', [{ path: 'identifierSystem', message: 'only with identifier' }]);
  }
  // Each condition with its own parameters, so text and values cannot drift apart.
  const conditions: [string, unknown[]][] = [['p.tenant_id = ?', [ctx.tenant.id]]];
  if (!input.includeInactive) conditions.push([`p.status = 'active'`, []]);
  if (input.phone !== undefined) conditions.push(['p.phone = ?', [normalizePhone(ctx, input.phone)]]);
  if (input.email !== undefined) conditions.push(['lower(p.email) = ?', [input.email]]);
  if (input.dateOfBirth !== undefined) conditions.push(['p.date_of_birth = ?', [input.dateOfBirth]]);
  if (input.identifier !== undefined) {
    const system = input.identifierSystem !== undefined;
    conditions.push([
      `exists (select 1 from patient_identifier i where i.tenant_id = p.tenant_id and i.patient_id = p.id and i.value = ?${system ? ' and i.system = ?' : ''})`,
      system ? [input.identifier, input.identifierSystem] : [input.identifier],
    ]);
  }
  const q = input.q?.toLowerCase();
  let score: [string, unknown[]] = ['null::numeric', []];
  if (q !== undefined) {
    score = ['round(greatest(similarity(p.search_name, ?), word_similarity(?, p.search_name))::numeric, 4)', [q, q]];
    // %, <% and LIKE can all use the trigram index; <% finds "smith" inside "john smith".
    conditions.push(['(p.search_name % ? or ? <% p.search_name or p.search_name like ?)', [q, q, containing(q)]]);
  }

  let after: [string, unknown[]] = ['true', []];
  if (input.cursor !== undefined && q !== undefined) {
    const cursor = decodeScoreCursor(input.cursor);
    after = ['(m.score, m.id) < (?::numeric, ?::uuid)', [cursor.score, cursor.id]];
  } else if (input.cursor !== undefined) {
    const position = decodeCursor(input.cursor);
    if (position) after = ['(m.created_at, m.id) < (?::timestamptz, ?::uuid)', [position.at.toISOString(), position.id]];
  }

  const columns = matchColumns(ctx.services.orm);
  const rows = await ctx.sql.query<Record<string, unknown> & { score: string | null }>({
    sql: `select ${columns.sql}, m.score::text as score
       from (select p.*, ${score[0]} as score
               from patient p
              where ${conditions.map(([sql]) => sql).join(' and ')}) m
      where ${after[0]}
      order by ${q !== undefined ? 'm.score desc, m.id desc' : 'm.created_at desc, m.id desc'}
      limit ?`,
    params: [...score[1], ...conditions.flatMap(([, values]) => values), ...after[1], input.limit + 1],
  });
  const more = rows.length > input.limit;
  const page = (more ? rows.slice(0, input.limit) : rows).map((row) => ({ patient: columns.read(row), score: row.score }));
  const items = page.map(({ patient, score }) => ({ ...patientView(patient), matchScore: score === null ? null : Number(score) }));
  const last = page.at(-1);
  let nextCursor: string | null = null;
  if (more && last) {
    nextCursor = last.score !== null ? encodeScoreCursor({ score: last.score, id: last.patient.id }) : encodeCursor({ at: last.patient.createdAt, id: last.patient.id });
  }
  return { items, nextCursor };
}
