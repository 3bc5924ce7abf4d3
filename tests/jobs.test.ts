import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob, jobRow as newJobRow, jobsWaiting } from '../src/jobs/enqueue.js';
import { Job } from '../src/jobs/job.js';
import { JobWorker, type JobHandler } from '../src/jobs/worker.js';
import { DirectSql } from '../src/db/sql.js';
import type { Statement } from '../src/db/statement.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

let harness: Harness;
let clinic: TestTenant;

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
});
afterAll(() => harness.close());

async function enqueue(kind: string, items: { serialKey?: string; payload?: Record<string, unknown>; maxAttempts?: number }[]): Promise<string[]> {
  const em = harness.services.orm.em.fork();
  const jobs = items.map((item) => enqueueJob(em, { tenantId: clinic.tenant.id, kind, payload: item.payload ?? {}, serialKey: item.serialKey, maxAttempts: item.maxAttempts }));
  await em.flush();
  return jobs.map((job) => job.id);
}

/** A promise and the function that resolves it (Promise.withResolvers needs Node 22). */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

const jobRow = (id: string) => harness.services.orm.em.fork().findOneOrFail(Job, { id });

describe('the job worker', () => {
  it('runs jobs of one serial key one at a time, in order, and different keys side by side', async () => {
    const kind = 'test.ordered';
    const events: string[] = [];
    let concurrentSameKey = 0;
    let maxConcurrentSameKey = 0;
    const running = new Map<string, number>();
    const handler: JobHandler = async ({ job }) => {
      const key = job.serialKey ?? '';
      running.set(key, (running.get(key) ?? 0) + 1);
      concurrentSameKey = Math.max(...running.values());
      maxConcurrentSameKey = Math.max(maxConcurrentSameKey, concurrentSameKey);
      events.push(`${key}:${job.payload.n}`);
      await sleep(5);
      running.set(key, (running.get(key) ?? 1) - 1);
    };
    await enqueue(kind, [1, 2, 3, 4].flatMap((n) => [{ serialKey: 'a', payload: { n } }, { serialKey: 'b', payload: { n } }]));
    const worker = new JobWorker(() => harness.services, { [kind]: handler }, { concurrency: 4, pollMs: 50, lockMs: 10_000 });
    await worker.drain({ tenantId: clinic.tenant.id });
    expect(events.filter((event) => event.startsWith('a:'))).toEqual(['a:1', 'a:2', 'a:3', 'a:4']);
    expect(events.filter((event) => event.startsWith('b:'))).toEqual(['b:1', 'b:2', 'b:3', 'b:4']);
    expect(maxConcurrentSameKey).toBe(1);
  });

  it('retries a failing job later and gives up after its attempts, keeping the error', async () => {
    const kind = 'test.failing';
    let calls = 0;
    const [id] = await enqueue(kind, [{ maxAttempts: 2 }]);
    const worker = new JobWorker(() => harness.services, { [kind]: async () => { calls += 1; throw new Error('boom'); } }, { concurrency: 1, pollMs: 50, lockMs: 10_000 });
    await worker.drain({ tenantId: clinic.tenant.id });
    let row = await jobRow(id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, lastError: 'Error: boom' });
    expect(row.runAt.getTime()).toBeGreaterThan(Date.now());
    await harness.services.orm.em.fork().nativeUpdate(Job, { id }, { runAt: new Date(Date.now() - 1000) });
    await worker.drain({ tenantId: clinic.tenant.id });
    row = await jobRow(id);
    expect(row).toMatchObject({ status: 'failed', attempts: 2 });
    expect(calls).toBe(2);
  });

  it('takes over a job whose worker died while running it', async () => {
    const kind = 'test.recovered';
    const [id] = await enqueue(kind, [{}]);
    // A worker claimed it and died: running, lock expired.
    await harness.services.orm.em.fork().nativeUpdate(Job, { id }, { status: 'running', attempts: 1, lockedUntil: new Date(Date.now() - 1000) });
    const done: string[] = [];
    const worker = new JobWorker(() => harness.services, { [kind]: async ({ job }) => void done.push(job.id) }, { concurrency: 1, pollMs: 50, lockMs: 10_000 });
    await worker.drain({ tenantId: clinic.tenant.id });
    expect(done).toEqual([id]);
    expect((await jobRow(id)).status).toBe('succeeded');
  });

  it('leaves alone a job another worker holds', async () => {
    const kind = 'test.held';
    const [id] = await enqueue(kind, [{}]);
    await harness.services.orm.em.fork().nativeUpdate(Job, { id }, { status: 'running', attempts: 1, lockedUntil: new Date(Date.now() + 60_000) });
    const done: string[] = [];
    const worker = new JobWorker(() => harness.services, { [kind]: async ({ job }) => void done.push(job.id) }, { concurrency: 1, pollMs: 50, lockMs: 10_000 });
    await worker.drain({ tenantId: clinic.tenant.id });
    expect(done).toEqual([]);
  });

  it('counts as waiting the jobs due or running, not one retrying later nor those of its key behind it', async () => {
    const other = await harness.newTenant();
    const em = harness.services.orm.em.fork();
    const add = (serialKey: string, runAt: Date, status: 'pending' | 'running' = 'pending') =>
      em.create(Job, { ...newJobRow({ tenantId: other.tenant.id, kind: 'test.counted', payload: {}, serialKey }, new Date()), runAt, status });
    const later = new Date(Date.now() + 60_000);
    const past = new Date(Date.now() - 1000);
    add('retrying', later); // held until its retry is due
    add('retrying', past); // behind it: held too
    add('due', past);
    add('due', past); // behind a due one: waiting
    add('busy', past, 'running');
    add('busy', past); // behind a running one: waiting
    await em.flush();
    expect(await jobsWaiting(harness.services.orm.em.fork(), { tenantId: other.tenant.id })).toBe(4);
  });

  it('drains a job enqueued by one that ended while a sweep was under way, though that sweep saw neither', async () => {
    const quick = 'test.drain.quick';
    const first = 'test.drain.first';
    const second = 'test.drain.second';
    const ran: string[] = [];
    let firstId = '';
    let sweeps = 0;
    const sweepUnderWay = signal();
    const firstCompleted = signal();
    // The real database, with the worker's second sweep made to answer only after `first` has
    // ended: its snapshot was taken before `second` existed, and nothing is in flight when it answers.
    class SecondSweepAnswersLate extends DirectSql {
      override async query<T>(statement: Statement): Promise<T[]> {
        const rows = await super.query<T>(statement);
        if (statement.sql.includes('for update skip locked') && ++sweeps === 2) {
          sweepUnderWay.resolve();
          await firstCompleted.promise;
          await new Promise(setImmediate); // the worker's bookkeeping after the completion
        }
        if (statement.sql.includes("status = 'succeeded'") && statement.params[0] === firstId) firstCompleted.resolve();
        return rows;
      }
    }
    const sql = new SecondSweepAnswersLate(harness.services.orm);
    const services = { ...harness.services, sql };
    const worker = new JobWorker(
      () => services,
      {
        [quick]: async () => void ran.push('quick'),
        [first]: async ({ job }) => {
          firstId = job.id;
          await sweepUnderWay.promise;
          await enqueue(second, [{}]);
          ran.push('first');
        },
        [second]: async () => void ran.push('second'),
      },
      { concurrency: 2, pollMs: 60_000, lockMs: 10_000 },
    );
    await enqueue(quick, [{}]);
    await enqueue(first, [{}]);
    await worker.drain({ tenantId: clinic.tenant.id });
    expect(ran).toEqual(['quick', 'first', 'second']);
  });

  it('runs a job at once when nudged after a commit, without waiting for the poll', async () => {
    const kind = 'test.nudged';
    const done: string[] = [];
    const worker = new JobWorker(() => harness.services, { [kind]: async ({ job }) => void done.push(job.id) }, { concurrency: 2, pollMs: 60_000, lockMs: 10_000 });
    worker.start();
    try {
      await sleep(50);
      const [id] = await enqueue(kind, [{}]);
      worker.nudge();
      for (let waited = 0; waited < 2000 && done.length === 0; waited += 10) await sleep(10);
      expect(done).toEqual([id]);
    } finally {
      await worker.stop();
    }
  });
});

describe('jobs inserted claimed by the process that runs them', () => {
  it('runs one in its reserved place after the commit with no claim, then hands its serial key on', async () => {
    const kind = 'test.claimed';
    const ran: string[] = [];
    // A poll far in the future: whatever runs here was started by settle() or handed on by a completion.
    const worker = new JobWorker(() => harness.services, { [kind]: async ({ job }) => void ran.push(String(job.payload.n)) }, { concurrency: 2, pollMs: 3_600_000, lockMs: 10_000 });
    expect(worker.reserve()).toBeNull(); // not started
    worker.start();
    try {
      const em = harness.services.orm.em.fork();
      const reservation = worker.reserve();
      expect(reservation).not.toBeNull();
      const claimed = newJobRow({ tenantId: clinic.tenant.id, kind, payload: { n: 1 }, serialKey: 'claimed:a' }, new Date(), worker.claimUntil());
      const next = newJobRow({ tenantId: clinic.tenant.id, kind, payload: { n: 2 }, serialKey: 'claimed:a' }, new Date(Date.now() + 1));
      em.create(Job, claimed);
      em.create(Job, next);
      await em.flush();
      expect(claimed).toMatchObject({ status: 'running', attempts: 1 });
      worker.settle(reservation!, { job: claimed, tenant: clinic.tenant });
      for (const deadline = Date.now() + 5_000; ran.length < 2 && Date.now() < deadline; ) await sleep(10);
      expect(ran).toEqual(['1', '2']);
      expect((await jobRow(claimed.id)).status).toBe('succeeded');
      expect(await jobRow(next.id)).toMatchObject({ status: 'succeeded', attempts: 1 });
    } finally {
      await worker.stop();
    }
  });

  it('tries a job told about again soon when it waited behind one whose completion missed it', async () => {
    const kind = 'test.retried';
    const ran: string[] = [];
    const worker = new JobWorker(() => harness.services, { [kind]: async ({ job }) => void ran.push(String(job.payload.n)) }, { concurrency: 2, pollMs: 3_600_000, lockMs: 10_000 });
    worker.start(); // its first sweep runs now, before these jobs exist; the next is an hour away
    try {
      await sleep(50);
      // A runs in another process; B waits behind it.
      const [a] = await enqueue(kind, [{ serialKey: 'retried:a', payload: { n: 1 } }]);
      await harness.services.orm.em.fork().nativeUpdate(Job, { id: a }, { status: 'running', attempts: 1, lockedUntil: new Date(Date.now() + 60_000) });
      const [b] = await enqueue(kind, [{ serialKey: 'retried:a', payload: { n: 2 } }]);
      worker.nudge([b]); // not claimable yet
      await sleep(3);
      // A's process finishes having looked for a successor before B was committed: no hand-on.
      await harness.services.orm.em.fork().nativeUpdate(Job, { id: a }, { status: 'succeeded' });
      for (const deadline = Date.now() + 2_000; ran.length === 0 && Date.now() < deadline; ) await sleep(10);
      expect(ran).toEqual(['2']);
      expect((await jobRow(b)).status).toBe('succeeded');
    } finally {
      await worker.stop();
    }
  });

  it('gives a reserved place back when the job was not inserted claimed, and refuses one when full', async () => {
    const worker = new JobWorker(() => harness.services, {}, { concurrency: 1, pollMs: 3_600_000, lockMs: 10_000 });
    worker.start();
    try {
      const first = worker.reserve();
      expect(first).not.toBeNull();
      expect(worker.reserve()).toBeNull();
      worker.settle(first!);
      worker.settle(first!); // settling twice gives back once
      const again = worker.reserve();
      expect(again).not.toBeNull();
      expect(worker.reserve()).toBeNull();
      worker.settle(again!);
    } finally {
      await worker.stop();
    }
  });
});
