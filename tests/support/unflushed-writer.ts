// A process that owns an embedded database, commits rows without waiting for the WAL flush
// (src/db/unflushed.ts), says "committed" on stdout and then waits to be killed.
import pg from 'pg';
import { openEmbeddedDatabase } from '../../src/db/embedded.js';
import { UNFLUSHED } from '../../src/db/unflushed.js';
import { createLogger } from '../../src/log.js';

const [dataDir, rows] = process.argv.slice(2);
const database = await openEmbeddedDatabase({ dataDir, log: createLogger({ level: 'silent' }) });
const client = new pg.Client({ connectionString: database.url });
await client.connect();
await client.query('create table if not exists kept (n integer)');
for (let n = 1; n <= Number(rows); n++) await client.query(`with ${UNFLUSHED} insert into kept select $1 from unflushed`, [n]);
process.stdout.write('committed\n');
setInterval(() => {}, 1000);
