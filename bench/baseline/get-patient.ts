// The baseline of GET /api/v1/prm/patients/{id}: the five statements the service first sent for it
// (the API key by hash, the patient, its identifiers, its consents, the tool_run insert), written by
// hand with Hono + node-postgres, no ORM, as in ../shared/bench/get-patient-baseline.mjs. The physical
// limit of this design on this machine, measured beside the service in the same bench run.
//
// node --import tsx bench/baseline/get-patient.ts PORT, with DATABASE_URL (a server) or PRM_DATA_DIR
// (the embedded database, opened in this process through the project's own embedded server, as the
// service opens it).
import { createHash, randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import pg from 'pg';
import { openEmbeddedDatabase } from '../../src/db/embedded.js';
import { createLogger } from '../../src/log.js';

const port = Number(process.argv[2]);
const url = process.env.DATABASE_URL ?? (await openEmbeddedDatabase({ dataDir: process.env.PRM_DATA_DIR ?? '', log: createLogger({ level: 'warn' }) })).url;
const pool = new pg.Pool({ connectionString: url, max: 5 });

const app = new Hono();
app.get('/api/v1/prm/patients/:id', async (c) => {
  const token = /^Bearer\s+(\S+)/i.exec(c.req.header('authorization') ?? '')?.[1];
  if (!token) return c.json({ error: { code: 'unauthorized' } }, 401);
  const hash = createHash('sha256').update(token).digest('hex');
  const key = (await pool.query({ name: 'key', text: 'select k.id, k.tenant_id, k.role from api_key k where k.hash = $1 and k.revoked_at is null', values: [hash] })).rows[0];
  if (!key) return c.json({ error: { code: 'unauthorized' } }, 401);
  const started = performance.now();
  const id = c.req.param('id');
  const patient = (await pool.query({ name: 'p', text: 'select * from patient where tenant_id = $1 and id = $2', values: [key.tenant_id, id] })).rows[0];
  if (!patient) return c.json({ error: { code: 'not_found' } }, 404);
  const identifiers = (await pool.query({ name: 'i', text: 'select system, value from patient_identifier where tenant_id = $1 and patient_id = $2', values: [key.tenant_id, id] })).rows;
  const consents = (await pool.query({ name: 'c', text: 'select channel, purpose, status, recorded_at from patient_consent where tenant_id = $1 and patient_id = $2 order by recorded_at desc', values: [key.tenant_id, id] })).rows;
  const output = { ...patient, identifiers, consents };
  const runId = randomUUID();
  await pool.query({
    name: 'run',
    text: `insert into tool_run (id, tenant_id, tool, status, actor_kind, actor_id, channel, input, output, duration_ms, started_at)
           values ($1, $2, 'get_patient', 'succeeded', 'staff', $3, 'rest', $4, $5, $6, now())`,
    values: [runId, key.tenant_id, `key:${key.id}`, JSON.stringify({ id }), JSON.stringify(output), performance.now() - started],
  });
  c.header('X-Tool-Run-Id', runId);
  return c.json(output);
});
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
console.log(`baseline on ${port}`);
