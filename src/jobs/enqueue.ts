import type { MetadataStorage } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import { insertRowWhere, type Statement } from '../db/statement.js';
import { newId } from '../ids.js';
import { Job } from './job.js';

export type NewJob = {
  tenantId: string;
  /** Which handler runs it (see src/jobs/handlers.ts). */
  kind: string;
  payload: Record<string, unknown>;
  /** Jobs with the same key run one at a time, in the order they were enqueued. */
  serialKey?: string;
  maxAttempts?: number;
};

/**
 * Adds a job to the caller's unit of work: it exists exactly when the change that asked for it
 * commits. Whoever commits nudges the worker (`services.jobs.nudge()`); the worker's poll is the net.
 */
export function enqueueJob(em: EntityManager, job: NewJob): Job {
  return em.create(Job, jobRow(job, new Date()));
}

/**
 * The row of a new job, pending and due now (for writers that insert rows themselves, see
 * src/db/statement.ts); or, with `claimedUntil`, already claimed by this process, which runs it right
 * after the commit (see JobWorker.reserve).
 */
export function jobRow(job: NewJob, now: Date, claimedUntil?: Date): Job {
  const row: Job = {
    id: newId(),
    tenantId: job.tenantId,
    kind: job.kind,
    payload: job.payload,
    serialKey: job.serialKey ?? null,
    status: 'pending',
    attempts: 0,
    maxAttempts: job.maxAttempts ?? 5,
    runAt: now,
    lockedUntil: null,
    lastError: null,
    createdAt: now,
    finishedAt: null,
  };
  return claimedUntil ? claimedRow(row, claimedUntil) : row;
}

/**
 * A job's `run_at` for something due at `at` by the service's clock. Jobs run by the database's clock
 * (`run_at <= now()`), so the delay is carried over: the same instant when the service runs on the
 * system clock, and a pinned clock (tests, replays) still has its jobs run after the same delay.
 */
export const jobDueAt = (clock: Clock, at: Date): Date => new Date(Date.now() + Math.max(0, at.getTime() - clock.now().getTime()));

/** A pending job's row as claimed by this process until `until`: its first attempt, under way. */
const claimedRow = (pending: Job, until: Date): Job => ({ ...pending, status: 'running', attempts: 1, lockedUntil: until });

/**
 * Jobs due or running, counted up to `cap` (of one tenant, or all): the backlog `/health` shows. A job
 * waiting for a later retry (a backfill while no model is loaded) is not counted until it is due, nor
 * are the jobs of its serial key held up behind it.
 */
export async function jobsWaiting(em: EntityManager, options: { cap?: number; tenantId?: string } = {}): Promise<number> {
  const [row] = await em.execute<{ waiting: number }[]>(
    `select count(*)::int as waiting from (
       select 1 from job j
        where (j.status = 'running' or (j.status = 'pending' and j.run_at <= now() and not exists (
                select 1 from job k where k.serial_key = j.serial_key and k.status = 'pending' and k.run_at > now()
                   and (k.created_at, k.id) < (j.created_at, j.id))))
          ${options.tenantId ? 'and j.tenant_id = ?' : ''}
        limit ?) counted`,
    [...(options.tenantId ? [options.tenantId] : []), options.cap ?? 10_000],
  );
  return row?.waiting ?? 0;
}

/** SQL: whether a job of the serial key `keySql` (an SQL expression) is still to run or running. */
export const jobOfKeyWaiting = (keySql: string) => `exists (select 1 from job k where k.serial_key = ${keySql} and k.status in ('pending', 'running'))`;

/**
 * A job inserted already claimed by this process (`claimedUntil`, see JobWorker.reserve) unless a job
 * of its serial key is still to run or running, then pending: decided by the statement that inserts
 * it, as two data-modifying CTEs of it (see `oneStatement`), so the decision costs no statement of its
 * own. Put them in a statement that runs after the lock that orders the key's jobs was taken (a
 * statement sees the database as it was when it began). `claimed` is an SQL expression over them,
 * true when the claimed row went in: read it in the statement's last select.
 */
export function insertClaimedUnlessWaiting(orm: { getMetadata(): MetadataStorage }, pending: Job, claimedUntil: Date): { claimedRow: Job; writes: Statement[]; claimed: string } {
  if (!pending.serialKey) throw new Error('insertClaimedUnlessWaiting needs a job with a serial key');
  const claimed = claimedRow(pending, claimedUntil);
  const waiting = { sql: jobOfKeyWaiting('?'), params: [pending.serialKey] };
  return {
    claimedRow: claimed,
    writes: [
      { ...returningId(insertRowWhere(orm, Job, claimed, { sql: `not ${waiting.sql}`, params: waiting.params })), name: 'claimed_job' },
      insertRowWhere(orm, Job, pending, waiting),
    ],
    claimed: 'exists (select 1 from claimed_job)',
  };
}

const returningId = (insert: Statement): Statement => ({ sql: `${insert.sql} returning id`, params: insert.params });
