import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../src/context.js';
import { newId } from '../src/ids.js';
import { runOperation } from '../src/tools/runner.js';
import { createHarness, type Harness } from './support/harness.js';
import { ownDatabase, type OwnDatabase } from './support/own-database.js';
import { spawnService } from './support/service-process.js';
import { publishJourney } from './journeys-fixture.js';

/**
 * The service killed (by its pid) while 500 journey timers are due, then started again: every due
 * action runs exactly once (one ticket per instance), none is lost. The service runs as its own
 * process (`src/main.ts serve`) on a database of this test's own, so it takes no other test's jobs.
 */

const INSTANCES = 500;
const KILL_AFTER_TICKETS = 120;

let database: OwnDatabase;
let harness: Harness;

const startService = (): ChildProcess => spawnService(database.url);

beforeAll(async () => {
  database = await ownDatabase();
  harness = await createHarness({ databaseUrl: database.url });
}, 120_000);
afterAll(async () => {
  await harness?.close();
  await database?.close();
});

describe('the service killed while journey timers are due', () => {
  it('runs every due action exactly once after a restart', async () => {
    const clinic = await harness.newTenant();
    const journeyId = await publishJourney(clinic, 'Crash', {
      trigger: { kind: 'manual' },
      stages: [
        { key: 'wait', name: 'Wait', next: [{ to: 'call', after: { delay: '1d' } }] },
        { key: 'call', name: 'Call', actions: [{ tool: 'create_ticket', input: { subject: 'Call {{patientId}}', category: 'clinical' } }] },
      ],
    });
    const em = harness.services.orm.em.fork();
    const sql = em.getConnection();
    const now = new Date();
    const patientIds = Array.from({ length: INSTANCES }, () => newId());
    await sql.execute(
      `insert into patient (id, tenant_id, given_name, family_name, date_of_birth, sex, phone, status, created_at, updated_at)
       select id, ?, 'Pat', 'Crash', '1970-01-01', 'unknown', '+1646' || lpad(ordinality::text, 7, '0'), 'active', ?, ? from unnest(?::uuid[]) with ordinality as id`,
      [clinic.tenant.id, now, now, `{${patientIds.join(',')}}`],
    );
    const staff: Caller = { tenant: clinic.tenant, actor: { kind: 'staff', id: 'test', role: 'staff' }, channel: 'rest' };
    for (const patientId of patientIds) {
      const enrolled = await runOperation(harness.services, staff, { tool: 'enrol_in_journey', input: { id: journeyId, patientId } });
      expect(enrolled.ok).toBe(true);
    }
    // A day passes: every timer is due now.
    const due = await sql.execute(
      `update job set run_at = now(), payload = jsonb_set(payload, '{dueAt}', to_jsonb(to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
        where tenant_id = ? and kind = 'journeys.timer' and status = 'pending' returning id`,
      [clinic.tenant.id],
    );
    expect(due).toHaveLength(INSTANCES);
    const tickets = async () => Number((await sql.execute<{ count: string }[]>(`select count(*) from ticket where tenant_id = ?`, [clinic.tenant.id]))[0].count);

    let service = startService();
    for (const deadline = Date.now() + 90_000; (await tickets()) < KILL_AFTER_TICKETS; await sleep(20)) {
      if (Date.now() > deadline || service.exitCode !== null) throw new Error(`${await tickets()} tickets before the deadline (exit ${service.exitCode})`);
    }
    process.kill(service.pid!, 'SIGKILL');
    await once(service, 'exit');
    expect(await tickets()).toBeLessThan(INSTANCES);

    service = startService();
    const completed = async () =>
      Number((await sql.execute<{ count: string }[]>(`select count(*) from journey_instance where tenant_id = ? and status = 'completed'`, [clinic.tenant.id]))[0].count);
    try {
      for (const deadline = Date.now() + 150_000; (await completed()) < INSTANCES; await sleep(250)) {
        if (Date.now() > deadline) throw new Error(`${await completed()} of ${INSTANCES} instances completed in time`);
      }
    } finally {
      process.kill(service.pid!, 'SIGTERM');
      await once(service, 'exit');
    }

    const perPatient = await sql.execute<{ patient_id: string; count: string }[]>(`select patient_id, count(*) from ticket where tenant_id = ? group by patient_id`, [clinic.tenant.id]);
    expect(perPatient).toHaveLength(INSTANCES);
    expect(perPatient.filter((row) => Number(row.count) !== 1)).toEqual([]);
    const actionSteps = await sql.execute<{ instance_id: string; count: string }[]>(
      `select instance_id, count(*) from journey_step where tenant_id = ? and kind = 'action' group by instance_id`,
      [clinic.tenant.id],
    );
    expect(actionSteps).toHaveLength(INSTANCES);
    expect(actionSteps.filter((row) => Number(row.count) !== 1)).toEqual([]);
    const timerSteps = await sql.execute<{ count: string }[]>(`select count(*) from journey_step where tenant_id = ? and kind = 'timer'`, [clinic.tenant.id]);
    expect(Number(timerSteps[0].count)).toBe(INSTANCES);
  }, 300_000);
});
