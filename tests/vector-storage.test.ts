import { afterAll, describe, expect, it } from 'vitest';
import { createOrm } from '../src/db/orm.js';
import { newId } from '../src/ids.js';
import { prepareVectorStorage } from '../src/modules/vector/storage.js';
import { ownDatabase, type OwnDatabase } from './support/own-database.js';

/** Where the chunks' vectors are kept, and how a database that kept them in `text_chunk.embedding` moves over. */

let database: OwnDatabase | undefined;
afterAll(() => database?.close());

const vector = (first: number) => `[${[first, ...Array(383).fill(0)].join(',')}]`;

describe('vector storage', () => {
  it('moves vectors kept in text_chunk.embedding to their own table, with a waiting row for each chunk without one', async () => {
    database = await ownDatabase();
    const orm = await createOrm({ url: database.url, poolMax: 1 });
    try {
      const connection = orm.em.getConnection();
      const [{ available }] = await connection.execute<{ available: boolean }[]>(`select exists (select 1 from pg_available_extensions where name = 'vector') as available`);
      if (!available) {
        // A server without pgvector: nothing is added, and search stays lexical.
        expect(await prepareVectorStorage(orm)).toBe(false);
        expect(await connection.execute(`select to_regclass('text_chunk_vector') as present`)).toEqual([{ present: null }]);
        return;
      }
      // The earlier layout: the vector a column of the chunk. One chunk has its vector, one waits.
      await connection.execute(`drop table text_chunk_vector`);
      await connection.execute(`alter table text_chunk add column embedding vector(384)`);
      const [tenantId, embedded, waiting] = [newId(), newId(), newId()];
      await orm.em.transactional(async (em) => {
        await em.execute(`set local session_replication_role = replica`); // no tenant row: its key is not what is tested
        for (const [id, embedding] of [[embedded, vector(1)], [waiting, null]] as const) {
          await em.execute(
            `insert into text_chunk (id, tenant_id, source_type, source_id, chunk_index, text, token_count, source_at, created_at, updated_at, embedding)
             values (?, ?, 'knowledge', ?, 0, 'Parking is free', 3, now(), now(), now(), ?::vector)`,
            [id, tenantId, id, embedding],
          );
        }
      });

      expect(await prepareVectorStorage(orm)).toBe(true);
      const rows = await connection.execute<{ chunk_id: string; first: number | null }[]>(
        `select chunk_id, (embedding::real[])[1] as first from text_chunk_vector order by (chunk_id = ?) desc`,
        [embedded],
      );
      expect(rows).toEqual([{ chunk_id: embedded, first: 1 }, { chunk_id: waiting, first: null }]);
      const [{ column }] = await connection.execute<{ column: boolean }[]>(
        `select exists (select 1 from information_schema.columns where table_name = 'text_chunk' and column_name = 'embedding') as column`,
      );
      expect(column).toBe(false);

      // Every start runs it again: nothing changes.
      expect(await prepareVectorStorage(orm)).toBe(true);
      expect(await connection.execute(`select count(*)::int as count from text_chunk_vector`)).toEqual([{ count: 2 }]);
      // A chunk's vector goes with it.
      await connection.execute(`delete from text_chunk where id = ?`, [embedded]);
      expect(await connection.execute(`select chunk_id from text_chunk_vector`)).toEqual([{ chunk_id: waiting }]);
    } finally {
      await orm.close();
    }
  });
});
