import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/ids.js';
import { API, openClinic } from './support/clinic-fixture.js';
import { createHarness, type Harness } from './support/harness.js';
import { publishTemplate } from './support/notification-fixture.js';
import { ownDatabase, type OwnDatabase } from './support/own-database.js';
import { spawnService } from './support/service-process.js';
import { startTwilioApi } from './support/twilio-api.js';

/**
 * A worker process killed in the middle of a 1,000-recipient bulk send, then started again: every
 * notification ends sent once, or `unknown` for staff (caught mid-request); none sent twice, none lost.
 * The service runs as its own process (`src/main.ts serve`) on a database of this test's own, so it
 * takes no other test's jobs.
 */

const RECIPIENTS = 1000;
const KILL_AFTER_SENT = 300;

let database: OwnDatabase;
let harness: Harness;
let twilioApi: Awaited<ReturnType<typeof startTwilioApi>>;


/** The service, jobs and all, in a process of its own on the test's database, sending to the Twilio stand-in. */
const startWorker = (): ChildProcess =>
  spawnService(database.url, {
    TWILIO_API_BASE_URL: twilioApi.url,
    // Status callback URLs carry our ids: the stand-in tells each message's sends apart by them.
    PUBLIC_BASE_URL: 'http://127.0.0.1:9',
  });

beforeAll(async () => {
  database = await ownDatabase();
  twilioApi = await startTwilioApi();
  harness = await createHarness({ databaseUrl: database.url, config: { TWILIO_API_BASE_URL: twilioApi.url } });
}, 120_000);
afterAll(async () => {
  await harness?.close();
  await twilioApi?.close();
  await database?.close();
});

/** Each message's sends at the stand-in, by our communication id (from its status callback URL). */
function sendsById(): Map<string, number> {
  const sends = new Map<string, number>();
  for (const message of twilioApi.sent) {
    const id = new URL(message.statusCallback ?? 'http://x/').searchParams.get('communication') ?? '(none)';
    sends.set(id, (sends.get(id) ?? 0) + 1);
  }
  return sends;
}

describe('a worker killed in the middle of a bulk send', () => {
  it('leaves every notification sent once or unknown for staff: none twice, none lost', async () => {
    const clinic = await harness.newTenant();
    await openClinic(harness, clinic, { phone: '+12125550001' });
    await publishTemplate(clinic, { name: 'flu-clinic', channel: 'sms', body: 'Hi {{ patient.givenName }}, flu shots are in at {{ clinic.name }}.' });
    const em = harness.services.orm.em.fork();
    const now = new Date();
    const patientIds = Array.from({ length: RECIPIENTS }, () => newId());
    await em.getConnection().execute(
      `insert into patient (id, tenant_id, given_name, family_name, date_of_birth, sex, phone, status, created_at, updated_at)
       select id, ?, 'Pat', 'Crash', '1970-01-01', 'unknown', '+1646' || lpad(ordinality::text, 7, '0'), 'active', ?, ?
         from unnest(?::uuid[]) with ordinality as id`,
      [clinic.tenant.id, now, now, `{${patientIds.join(',')}}`],
    );
    await em.getConnection().execute(
      `insert into patient_consent (id, tenant_id, patient_id, channel, purpose, status, source, recorded_by, recorded_at, created_at, updated_at)
       select gen_random_uuid(), ?, id, 'sms', 'care_messages', 'granted', 'test', 'test', ?, ?, ? from unnest(?::uuid[]) as id`,
      [clinic.tenant.id, now, now, now, `{${patientIds.join(',')}}`],
    );
    const bulk = await clinic.call<{ accepted: number }>('POST', `${API}/notifications/bulk`, {
      recipients: { patientIds },
      channel: 'sms',
      purpose: 'care_messages',
      template: { name: 'flu-clinic' },
    });
    expect(bulk.accepted).toBe(RECIPIENTS);

    let worker = startWorker();
    for (const deadline = Date.now() + 60_000; twilioApi.sent.length < KILL_AFTER_SENT; await sleep(5)) {
      if (Date.now() > deadline || worker.exitCode !== null) throw new Error(`the worker sent ${twilioApi.sent.length} before the deadline (exit ${worker.exitCode})`);
    }
    worker.kill('SIGKILL');
    await once(worker, 'exit');
    const sentBeforeKill = twilioApi.sent.length;
    expect(sentBeforeKill).toBeLessThan(RECIPIENTS);

    worker = startWorker();
    try {
      const unfinished = async () => {
        const [row] = await em.getConnection().execute<{ count: string }[]>(
          `select count(*) from notification n join communication c on c.id = n.communication_id
            where n.tenant_id = ? and (n.state = 'scheduled' or c.status in ('queued', 'sending'))`,
          [clinic.tenant.id],
        );
        return Number(row.count);
      };
      for (const deadline = Date.now() + 90_000; (await unfinished()) > 0; await sleep(250)) {
        if (Date.now() > deadline) throw new Error(`${await unfinished()} notifications were not finished in time`);
      }
    } finally {
      worker.kill('SIGTERM');
      await once(worker, 'exit');
    }

    const rows = await em.getConnection().execute<{ id: string; status: string }[]>(
      `select c.id, c.status from notification n join communication c on c.id = n.communication_id where n.tenant_id = ?`,
      [clinic.tenant.id],
    );
    const sends = sendsById();
    const sentTwice = [...sends.values()].filter((times) => times > 1).length;
    const counts = rows.reduce<Record<string, number>>((totals, row) => ({ ...totals, [row.status]: (totals[row.status] ?? 0) + 1 }), {});
    expect(rows).toHaveLength(RECIPIENTS);
    expect(sentTwice).toBe(0);
    // None lost: every one was sent, or is unknown for staff (it was mid-request when the process died).
    expect(Object.keys(counts).filter((status) => status !== 'sent' && status !== 'unknown')).toEqual([]);
    expect((counts.sent ?? 0) + (counts.unknown ?? 0)).toBe(RECIPIENTS);
    // Each sent one reached Twilio exactly once (an unknown one at most once: no id was sent twice).
    for (const row of rows.filter((candidate) => candidate.status === 'sent')) expect(sends.get(row.id), row.id).toBe(1);
    expect(counts.unknown ?? 0).toBeLessThanOrEqual(16);
  }, 240_000);
});
