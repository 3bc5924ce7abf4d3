import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Caller, Services } from '../src/context.js';
import { defineOperation } from '../src/tools/operation.js';
import { createRegistry, runOperation } from '../src/tools/runner.js';
import { agentCaller } from '../src/agent/tool-caller.js';
import { runTurn } from '../src/agent/turn.js';
import { jobRow } from '../src/jobs/enqueue.js';
import { jobHandlers } from '../src/jobs/handlers.js';
import { Job } from '../src/jobs/job.js';
import { JobWorker } from '../src/jobs/worker.js';
import { receiveInbound } from '../src/modules/communications/inbound.js';
import { randomSid } from './support/conversation-driver.js';
import { openConversation } from './support/clinic-fixture.js';
import { API, countRows, createScheduledPractitioner, searchSlots } from './appointments-fixtures.js';
import { ownDatabase, type OwnDatabase } from './support/own-database.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen } from './support/http-server.js';

/**
 * Concurrent calls that meet on the same rows. On the embedded database transactions take turns, so
 * these matter most on a PostgreSQL server (TEST_DATABASE_URL), where they truly interleave.
 */

let harness: Harness;
/** A second app on its own connections, as a second serving process would be. */
let second: Harness;
let http: Awaited<ReturnType<typeof listen>>;

let database: OwnDatabase;
beforeAll(async () => {
  database = await ownDatabase(); // a worker runs here as in the service: see own-database.ts
  harness = await createHarness({ databaseUrl: database.url });
  second = await createHarness({ databaseUrl: database.url });
  http = await listen(harness.app.fetch);
});
afterAll(async () => {
  await http.close();
  await harness.close();
  await second.close();
  await database.close();
});

type PatientRow = { id: string; status: string; mergedIntoId: string | null };

async function registerPatient(clinic: TestTenant, givenName: string): Promise<string> {
  const patient = await clinic.call<{ id: string }>('POST', `${API}/patients`, { givenName, familyName: 'Crossing', dateOfBirth: '1970-01-01', allowDuplicate: true });
  return patient.id;
}

describe('races on the same records', () => {
  it('crossing merges among six patients end with one survivor that every other record points at', async () => {
    const clinic = await harness.newTenant();
    const ids: string[] = [];
    for (const name of ['Ann', 'Ben', 'Cal', 'Dee', 'Eve', 'Fay']) ids.push(await registerPatient(clinic, name));
    // Every ordered pair at once: 30 merges. Serially exactly one record would survive.
    const pairs = ids.flatMap((target) => ids.filter((source) => source !== target).map((source) => [target, source] as const));
    const answers = await Promise.all(
      pairs.map(([target, source], index) =>
        (index % 2 === 0 ? harness : second).app.request(`${API}/patients/${target}/merge`, {
          method: 'POST',
          headers: { authorization: `Bearer ${clinic.keys.admin}`, 'content-type': 'application/json' },
          body: JSON.stringify({ sourcePatientId: source }),
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    const bodies = await Promise.all(answers.map((answer) => answer.text()));
    expect(statuses.every((status) => status === 200 || status === 422), bodies.filter((_, index) => ![200, 422].includes(statuses[index])).join('\n')).toBe(true);
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);

    const rows = await harness.services.orm.em
      .fork()
      .execute<PatientRow[]>('select id, status, merged_into_id as "mergedIntoId" from patient where tenant_id = ?', [clinic.tenant.id]);
    expect(rows).toHaveLength(6);
    const active = rows.filter((row) => row.status === 'active');
    expect(active).toHaveLength(1);
    for (const row of rows.filter((candidate) => candidate.status !== 'active')) {
      expect(row).toMatchObject({ status: 'merged', mergedIntoId: active[0].id });
    }
  });

  it('twenty parallel registrations of one person create one record; the rest are 409 naming it', async () => {
    const clinic = await harness.newTenant();
    const person = { givenName: 'Rosa', familyName: 'Twin', dateOfBirth: '1991-07-04', phone: '+12125550177' };
    const answers = await Promise.all(Array.from({ length: 20 }, () => clinic.request('POST', `${API}/patients`, { body: person })));
    const created = answers.filter((answer) => answer.status === 201);
    expect(created).toHaveLength(1);
    const { id } = (await created[0].json()) as { id: string };
    for (const answer of answers.filter((candidate) => candidate.status !== 201)) {
      expect(answer.status).toBe(409);
      const body = (await answer.json()) as { error: { details: { candidates: { id: string }[] } } };
      expect(body.error.details.candidates.map((candidate) => candidate.id)).toContain(id);
    }
    expect(await countRows(harness, clinic, 'patient', 'date_of_birth = ?', [person.dateOfBirth])).toBe(1);
  });

  it('a person registering from WhatsApp and SMS at once is registered once, and every answer is the same', async () => {
    const clinic = await harness.newTenant();
    const contact = '+12125550166';
    const conversations = [await openConversation(harness, clinic, contact, 'whatsapp'), await openConversation(harness, clinic, contact, 'sms')];
    const person = { givenName: 'Noor', familyName: 'Twice', dateOfBirth: '1988-08-08' };
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, async (_, index) => {
        const caller = await agentCaller(harness.services, clinic.tenant, conversations[index % 2]);
        return runOperation(harness.services, caller, { tool: 'register_patient', input: person });
      }),
    );
    expect(outcomes.map((outcome) => (outcome.ok ? JSON.stringify(outcome.output) : outcome.error.code))).toEqual(Array(10).fill(JSON.stringify(outcomes[0].ok && outcomes[0].output)));
    expect(await countRows(harness, clinic, 'patient', 'date_of_birth = ?', [person.dateOfBirth])).toBe(1);
  });

  it('twenty bookings with one idempotency key, through REST and MCP at once, all answer with the one appointment', async () => {
    const clinic = await harness.newTenant();
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const patientId = await registerPatient(clinic, 'Ida');
    const from = new Date(Date.now() + 86_400_000);
    const [slot] = await searchSlots(clinic, { practitionerId, from: from.toISOString(), to: new Date(from.getTime() + 7 * 86_400_000).toISOString() });
    const booking = { patientId, practitionerId, startAt: slot.startAt };
    const key = 'one-booking-many-doors';

    const mcp = new Client({ name: 'race', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${clinic.keys.admin}` } } }));
    try {
      const rest = async () => {
        const response = await clinic.request('POST', `${API}/appointments`, { body: booking, headers: { 'idempotency-key': key } });
        const body = (await response.json()) as { id?: string; error?: unknown };
        return { ok: response.status === 201, id: body.id, detail: JSON.stringify(body) };
      };
      const viaMcp = async () => {
        const result = await mcp.callTool({ name: 'book_appointment', arguments: booking, _meta: { idempotencyKey: key } });
        const output = result.structuredContent as { id?: string } | undefined;
        return { ok: !result.isError, id: output?.id, detail: JSON.stringify(result.content) };
      };
      const answers = await Promise.all(Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? rest() : viaMcp())));
      for (const answer of answers) expect(answer.ok, answer.detail).toBe(true);
      expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
      expect(await countRows(harness, clinic, 'appointment', 'patient_id = ?', [patientId])).toBe(1);
    } finally {
      await mcp.close();
    }
  });

  it('a transaction the database ends for a deadlock is run again, and both calls succeed', async () => {
    const clinic = await harness.newTenant();
    let attempts = 0;
    // Takes two locks, in the order given, with a pause between: two calls in opposite orders deadlock on a server.
    const lockInOrder = defineOperation({
      name: 'lock_in_order',
      title: 'Lock in order',
      description: 'Test operation.',
      tag: 'test',
      input: z.object({ first: z.number().int(), second: z.number().int() }),
      output: z.object({ attempts: z.number() }),
      annotations: { readOnly: false, destructive: false, idempotent: false },
      access: { roles: ['staff'] },
      http: { method: 'post', path: '/test/lock-in-order' },
      run: async (ctx, input) => {
        attempts++;
        await ctx.em.execute('select pg_advisory_xact_lock(?)', [input.first]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await ctx.em.execute('select pg_advisory_xact_lock(?)', [input.second]);
        return { attempts };
      },
    });
    const services: Services = { ...harness.services, registry: createRegistry([lockInOrder]) };
    const caller: Caller = { tenant: clinic.tenant, actor: { kind: 'staff', id: 'test', role: 'admin' }, channel: 'rest' };
    const outcomes = await Promise.all([
      runOperation(services, caller, { tool: 'lock_in_order', input: { first: 7001, second: 7002 } }),
      runOperation(services, caller, { tool: 'lock_in_order', input: { first: 7002, second: 7001 } }),
    ]);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true]);
    // On a server one of them was the deadlock's victim and ran twice; the embedded database runs them one after the other.
    expect(attempts).toBe(harness.databaseKind === 'server' ? 3 : 2);
  });

  /**
   * Another transaction holds the conversation for 300 ms and queues a job of `serialKey` (a kind no
   * worker runs, so it stays pending); resolves once it holds the lock, with its commit to await.
   */
  async function holdConversationQueuing(clinic: TestTenant, conversationId: string, serialKey: string): Promise<{ committed: Promise<void> }> {
    const committed = harness.services.orm.em.fork().transactional(async (transaction) => {
      await transaction.execute('select id from conversation where tenant_id = ? and id = ? for update', [clinic.tenant.id, conversationId]);
      transaction.create(Job, jobRow({ tenantId: clinic.tenant.id, kind: 'test.blocker', payload: {}, serialKey }, new Date()));
      await transaction.flush();
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { committed };
  }

  /** The harness's services with a running worker of their own, which takes a job inserted claimed at once. */
  function withRunningWorker(): Services {
    const services: Services = { ...harness.services };
    services.jobs = new JobWorker(() => services, jobHandlers, { concurrency: 4, pollMs: 600_000, lockMs: 120_000 });
    services.jobs.start();
    return services;
  }

  const deliveryOf = async (messageId: string | null) =>
    (await harness.services.orm.em.fork().execute<{ status: string; attempts: number }[]>(`select status, attempts from job where kind = 'message.deliver' and payload->>'messageId' = ?`, [messageId]))[0];

  it('a message that waited behind another transaction of its conversation sees the turn that one queued, and waits its turn', async () => {
    const clinic = await harness.newTenant();
    const contact = '+12125550944';
    const conversationId = await openConversation(harness, clinic, contact, 'sms');
    const holder = await holdConversationQueuing(clinic, conversationId, `conversation:${conversationId}`);
    const services = withRunningWorker();
    try {
      const received = await receiveInbound(services, clinic.tenant, { channel: 'sms', contact, body: 'second', channelMessageId: randomSid() });
      await holder.committed;
      const [turn] = await harness.services.orm.em.fork().execute<{ status: string }[]>('select status from job where id = ?', [received.turnJobId]);
      // Had it not seen the other turn, it would have been inserted claimed and run at once, out of order.
      expect(turn.status).toBe('pending');
    } finally {
      await services.jobs.stop();
    }
  });

  it('a reply stored behind another transaction that queued a delivery of its conversation is sent after that one', async () => {
    const clinic = await harness.newTenant();
    const contact = '+12125550945';
    const conversationId = await openConversation(harness, clinic, contact, 'sms');
    // Stored with the harness's worker stopped: its turn stays pending, and is run by hand below.
    const received = await receiveInbound(harness.services, clinic.tenant, { channel: 'sms', contact, body: 'menu', channelMessageId: randomSid() });
    const holder = await holdConversationQueuing(clinic, conversationId, `deliver:${conversationId}`);
    const services = withRunningWorker();
    try {
      const turn = await runTurn(services, clinic.tenant, { conversationId, messageId: received.messageId! });
      await holder.committed;
      // Had it not seen the other delivery, it would have been inserted claimed and sent at once, out of order.
      expect(await deliveryOf(turn.replyMessageId)).toEqual({ status: 'pending', attempts: 0 });
    } finally {
      await services.jobs.stop();
    }
  });

  it('a reply with no delivery of its conversation waiting is inserted claimed and sent at once', async () => {
    const clinic = await harness.newTenant();
    const contact = '+12125550946';
    const conversationId = await openConversation(harness, clinic, contact, 'sms');
    const received = await receiveInbound(harness.services, clinic.tenant, { channel: 'sms', contact, body: 'menu', channelMessageId: randomSid() });
    const services = withRunningWorker();
    try {
      const turn = await runTurn(services, clinic.tenant, { conversationId, messageId: received.messageId! });
      await services.jobs.stop(); // waits for the delivery it launched
      expect(await deliveryOf(turn.replyMessageId)).toEqual({ status: 'succeeded', attempts: 1 });
    } finally {
      await services.jobs.stop();
    }
  });
});
