import type { EntityManager } from '@mikro-orm/postgresql';
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
  return {
    id: newId(),
    tenantId: job.tenantId,
    kind: job.kind,
    payload: job.payload,
    serialKey: job.serialKey ?? null,
    status: claimedUntil ? 'running' : 'pending',
    attempts: claimedUntil ? 1 : 0,
    maxAttempts: job.maxAttempts ?? 5,
    runAt: now,
    lockedUntil: claimedUntil ?? null,
    lastError: null,
    createdAt: now,
    finishedAt: null,
  };
}

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
