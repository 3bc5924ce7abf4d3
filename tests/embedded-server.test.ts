import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveEmbedded, type EmbeddedServer } from '../src/db/embedded-server.js';
import { createLogger } from '../src/log.js';

// An in-memory PGlite served on a loopback port, used by several connections as the service uses it.
let db: PGlite;
let server: EmbeddedServer;
const url = () => `postgres://postgres:postgres@127.0.0.1:${server.port}/postgres`;
const client = async () => {
  const connected = new pg.Client({ connectionString: url() });
  await connected.connect();
  return connected;
};

beforeAll(async () => {
  db = await PGlite.create();
  server = await serveEmbedded(db, { host: '127.0.0.1', port: 0, log: createLogger({ level: 'silent' }) });
  await db.exec('create table item (id int primary key, label text)');
});
afterAll(async () => {
  await server.close();
  await db.close();
});

describe('the embedded database over TCP', () => {
  it('keeps each connection’s statements whole when several send at once', async () => {
    // Extended protocol outside transactions: each statement is Parse, Bind, Describe, Execute, Sync.
    // Run message by message, another connection's Parse landed between them ("portal does not exist").
    const pool = new pg.Pool({ connectionString: url(), max: 4 });
    try {
      const errors: unknown[] = [];
      await Promise.all(
        [0, 1, 2, 3].map(async (worker) => {
          for (let n = 0; n < 50; n += 1) {
            const id = 1000 + worker * 100 + n;
            await pool.query('insert into item (id, label) values ($1, $2)', [id, `w${worker}`]).catch((error) => errors.push(error));
            const { rows } = await pool.query<{ label: string }>('select label from item where id = $1', [id]);
            expect(rows).toEqual([{ label: `w${worker}` }]);
          }
        }),
      );
      expect(errors).toEqual([]);
      const { rows } = await pool.query<{ count: number }>('select count(*)::int as count from item where id >= 1000');
      expect(rows[0].count).toBe(200);
    } finally {
      await pool.end();
    }
  });

  it('lets a connection in a transaction finish it before another one runs', async () => {
    const [first, second] = [await client(), await client()];
    try {
      await first.query('begin');
      await first.query(`insert into item (id, label) values (1, 'in a transaction')`);
      let seen: number | undefined;
      const reading = second.query<{ count: number }>('select count(*)::int as count from item where id = 1').then(({ rows }) => (seen = rows[0].count));
      await sleep(100);
      expect(seen).toBeUndefined(); // waiting for the session, not reading inside the other transaction
      await first.query('rollback');
      await reading;
      expect(seen).toBe(0);
    } finally {
      await first.end();
      await second.end();
    }
  });

  it('rolls back what a connection that vanished left open, and goes on serving the others', async () => {
    const [doomed, other] = [await client(), await client()];
    try {
      await doomed.query('begin');
      await doomed.query(`insert into item (id, label) values (2, 'never committed')`);
      const waiting = other.query<{ count: number }>('select count(*)::int as count from item where id = 2');
      doomed.on('error', () => {}); // its socket is cut on purpose
      (doomed as unknown as { connection: { stream: Socket } }).connection.stream.destroy();
      expect((await waiting).rows[0].count).toBe(0);
      expect(db.isInTransaction()).toBe(false);
    } finally {
      await other.end();
    }
  });

  it('gives each connection its own prepared statements, and removes them when it goes', async () => {
    const [first, second] = [await client(), await client()];
    const prepared = async () => (await db.query<{ count: number }>(`select count(*)::int as count from pg_prepared_statements where name like '%\\_same'`)).rows[0].count;
    try {
      // The same name, two texts: on one shared session the second Parse would fail.
      const one = () => first.query<{ v: number }>({ name: 'same', text: 'select $1::int + 1 as v', values: [1] });
      const two = () => second.query<{ v: number }>({ name: 'same', text: 'select $1::int + 2 as v', values: [1] });
      expect((await one()).rows).toEqual([{ v: 2 }]);
      expect((await two()).rows).toEqual([{ v: 3 }]);
      expect((await one()).rows).toEqual([{ v: 2 }]); // parsed once, bound again
      expect(await prepared()).toBe(2);
    } finally {
      await first.end();
    }
    for (let waited = 0; (await prepared()) > 1 && waited < 2000; waited += 20) await sleep(20);
    expect(await prepared()).toBe(1);
    await second.end();
  });

  it('refuses encryption with N, takes a message split across packets, and answers it whole', async () => {
    const socket = connect({ host: '127.0.0.1', port: server.port });
    await once(socket, 'connect');
    const received: Buffer[] = [];
    socket.on('data', (data) => received.push(data));
    const until = async (done: (all: Buffer) => boolean) => {
      for (let waited = 0; !done(Buffer.concat(received)) && waited < 5000; waited += 10) await sleep(10);
      return Buffer.concat(received);
    };

    const sslRequest = Buffer.alloc(8);
    sslRequest.writeInt32BE(8, 0);
    sslRequest.writeInt32BE(80877103, 4);
    socket.write(sslRequest);
    expect((await until((all) => all.length >= 1)).toString()).toBe('N');
    received.length = 0;

    const parameters = Buffer.from('user\0postgres\0database\0postgres\0\0');
    const startup = Buffer.alloc(8 + parameters.length);
    startup.writeInt32BE(startup.length, 0);
    startup.writeInt32BE(196608, 4);
    parameters.copy(startup, 8);
    const text = Buffer.from(`select label from item where id = 1000\0`);
    const query = Buffer.alloc(5 + text.length);
    query.write('Q', 0);
    query.writeInt32BE(4 + text.length, 1);
    text.copy(query, 5);
    // The startup message and the query, three bytes at a time.
    const bytes = Buffer.concat([startup, query]);
    for (let offset = 0; offset < bytes.length; offset += 3) {
      socket.write(bytes.subarray(offset, offset + 3));
      await sleep(1);
    }
    // Two ReadyForQuery messages ('Z', length 5, idle 'I'): after the startup and after the query.
    const ready = Buffer.from('Z\0\0\0\x05I', 'latin1');
    const answer = await until((all) => all.indexOf(ready) !== all.lastIndexOf(ready));
    expect(answer.indexOf(ready)).not.toBe(answer.lastIndexOf(ready));
    expect(answer.toString('latin1')).toContain('w0'); // the row's value, in its DataRow
    socket.destroy();
  });
});
