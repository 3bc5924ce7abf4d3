import type { Services, TenantInfo } from '../context.js';
import type { Job } from './job.js';
import { oneStatement, type Statement } from '../db/statement.js';
import type { Sql } from '../db/sql.js';
import { UNFLUSHED, unflushedCte } from '../db/unflushed.js';
import { errorSummary, type Logger } from '../log.js';

/** A claimed job, as the handler sees it. */
export type ClaimedJob = { id: string; tenantId: string; kind: string; payload: Record<string, unknown>; serialKey: string | null; attempts: number; maxAttempts: number };

export type JobContext = {
  services: Services;
  tenant: TenantInfo;
  log: Logger;
  job: ClaimedJob;
  /**
   * Marks the job done with the handler's last writes, in one statement: inside the handler's own
   * transaction (its effects and its completion commit together), or on its own, unflushed (the
   * writes must be as safe to lose in a database crash as the completion, see src/db/unflushed.ts).
   * Handlers that do not call it are marked done after they return. `reads`: a select list over the
   * writes' named CTEs (see `oneStatement`), whose values come back as the row it resolves to.
   */
  complete(sql: Sql, writes?: readonly Statement[], reads?: string): Promise<Record<string, unknown>>;
};
export type JobHandler = (context: JobContext) => Promise<void>;

/** Thrown by a handler whose job should run again after `delayMs` (its own schedule), not the worker's backoff. */
export class RetryAfter extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryAfter';
  }
}

type Row = {
  id: string;
  tenant_id: string;
  kind: string;
  payload: Record<string, unknown>;
  serial_key: string | null;
  attempts: number;
  max_attempts: number;
  tenant_slug: string;
  tenant_name: string;
  tenant_time_zone: string;
  tenant_default_country: string;
};

const RETURNED = `job.id, job.tenant_id, job.kind, job.payload, job.serial_key, job.attempts, job.max_attempts,
  t.slug as tenant_slug, t.name as tenant_name, t.time_zone as tenant_time_zone, t.default_country as tenant_default_country`;

/** An older job of the same serial key still to run or running: this one waits its turn. */
const WAITS_ITS_TURN = (job: string) => `${job}.serial_key is not null and exists (
  select 1 from job k where k.serial_key = ${job}.serial_key and k.status in ('pending', 'running')
     and (k.created_at, k.id) < (${job}.created_at, ${job}.id))`;

/**
 * The sweep: claims ready jobs of the kinds this worker handles, pending and due or running with an
 * expired lock (its worker died), oldest first, optionally of one tenant only (tests drain their own).
 * `skip locked` lets several workers claim side by side without taking the same job. The job's tenant
 * comes back with it, so running a job costs no lookup. It runs on the poll, and when a commit
 * enqueued jobs whose ids the worker was not told. Two texts, not an optional filter: a prepared
 * statement's plan must not depend on whether a parameter is null.
 */
const claimReady = (oneTenant: boolean) => `
  with ${UNFLUSHED}
  update job set status = 'running', attempts = job.attempts + 1, locked_until = now() + (? * interval '1 millisecond')
    from tenant t, unflushed
   where t.id = job.tenant_id and job.id in (
     select j.id from job j
      where ((j.status = 'pending' and j.run_at <= now()) or (j.status = 'running' and j.locked_until < now()))
        and j.kind = any(?::text[])${oneTenant ? '\n        and j.tenant_id = ?' : ''}
        and not (${WAITS_ITS_TURN('j')})
      order by j.created_at, j.id
      limit ?
      for update skip locked)
  returning ${RETURNED}`;
const CLAIM_READY = claimReady(false);
const CLAIM_READY_OF_TENANT = claimReady(true);

/**
 * Claims one job by its id, if it is pending, due and not waiting behind an older job of its serial
 * key: the usual path, for jobs this process has just committed, and far cheaper than the sweep (a
 * primary-key lookup, planned in a fraction of the time). A worker that took it first wins. The job
 * comes back claimed, or with `still_pending` when it was not claimed but may be soon (it waits its
 * turn); no row when it is gone, running or done.
 */
const CLAIM_BY_ID = `
  with ${UNFLUSHED}, claimed as (
    update job set status = 'running', attempts = job.attempts + 1, locked_until = now() + (? * interval '1 millisecond')
      from tenant t, unflushed
     where job.id = ? and job.status = 'pending' and job.run_at <= now() and job.kind = any(?::text[]) and t.id = job.tenant_id
       and not (${WAITS_ITS_TURN('job')})
    returning ${RETURNED})
  select c.*, c.id is null as still_pending from job j left join claimed c on c.id = j.id
   where j.id = ? and (c.id is not null or j.status = 'pending')`;

/** CLAIM_BY_ID's row: the claimed job, or only `still_pending`. */
type ClaimByIdRow = Row & { still_pending: boolean };

/** The next job of a finished job's serial key, now free to run: the worker claims it by id. */
const NEXT_IN_LINE = `(select k.id from job k where k.serial_key = job.serial_key and k.status = 'pending'
  order by k.created_at, k.id limit 1) as next_id`;

/** Completion inside a handler's own transaction (JobContext.complete): flushed or not as that transaction is. */
const SUCCEED = `update job set status = 'succeeded', finished_at = now(), locked_until = null where job.id = ? returning ${NEXT_IN_LINE}`;
/** The worker's own writes (claim, completion, failure) commit unflushed: a lost one only runs the job again. */
const SUCCEED_UNFLUSHED = `update job set status = 'succeeded', finished_at = now(), locked_until = null from unflushed where job.id = ? returning ${NEXT_IN_LINE}`;
/** The completion with the handler's writes and what it reads of them (JobContext.complete). */
const completion = (job: ClaimedJob, writes: readonly Statement[], flushed: boolean, reads: string | undefined): Statement => {
  const succeed = flushed ? SUCCEED : SUCCEED_UNFLUSHED;
  const all = flushed ? writes : [unflushedCte, ...writes];
  return reads
    ? oneStatement([...all, { sql: succeed, params: [job.id], name: 'completed' }], { sql: `select completed.next_id, ${reads} from completed`, params: [] })
    : oneStatement(all, { sql: succeed, params: [job.id] });
};
const RETRY_LATER = `with ${UNFLUSHED} update job set status = 'pending', run_at = now() + (? * interval '1 millisecond'), locked_until = null, last_error = ? from unflushed where job.id = ?`;
const FAIL = `with ${UNFLUSHED} update job set status = 'failed', finished_at = now(), locked_until = null, last_error = ? from unflushed where job.id = ? returning ${NEXT_IN_LINE}`;
type Finished = { next_id: string | null } & Record<string, unknown>;

/** A place reserved in a worker's concurrency (see JobWorker.reserve). */
export type Reservation = { settled: boolean };

const claimedJob = (row: Job): ClaimedJob => ({ id: row.id, tenantId: row.tenantId, kind: row.kind, payload: row.payload, serialKey: row.serialKey ?? null, attempts: row.attempts, maxAttempts: row.maxAttempts });

/** When a job told about but not claimable is tried again (see JobWorker.tryAgainSoon). */
const RETRY_CLAIM_MS = [5, 25, 100, 400];

/** Ids the worker was told about and has not claimed yet; past this it forgets them and sweeps instead. */
const MAX_KNOWN = 1000;

/** How far ahead a job may be due for `wakeAt` to wake for it (10 minutes): further, the poll finds it. */
const MAX_WAKE_MS = 600_000;

const backoffMs = (attempts: number) => Math.min(300_000, 1000 * 2 ** (attempts - 1));

/**
 * Runs jobs in this process: at once when told about them after a commit (by id), and on a slow poll
 * (the sweep) that also picks up what a crashed process left. One instance per process.
 */
export class JobWorker {
  private running = 0;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private again = false;
  /** Committed jobs this process was told about, to claim by id. */
  private known: string[] = [];
  /** A sweep is due: the poll, a commit that enqueued jobs without saying which, or a full last sweep. */
  private sweepDue = false;
  /** Jobs running in this process, by id. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Claims by id tried again, by job id (see tryAgainSoon). */
  private readonly retries = new Map<string, number>();

  /** `services` is a function because the worker is itself one of the services. */
  constructor(
    private readonly services: () => Services,
    private readonly handlers: Readonly<Record<string, JobHandler>>,
    private readonly options: { concurrency: number; pollMs: number; lockMs: number } = { concurrency: 4, pollMs: 1000, lockMs: 120_000 },
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.nudge(), this.options.pollMs);
    this.timer.unref();
    this.nudge();
  }

  /**
   * Says that a commit enqueued jobs: with their ids, they are claimed by id (cheap); without, a
   * sweep looks for them. Cheap and coalesced; the poll is the net either way.
   */
  nudge(jobIds?: readonly string[]): void {
    if (this.stopped) return;
    if (jobIds) this.known.push(...jobIds);
    else this.sweepDue = true;
    if (this.known.length > MAX_KNOWN) {
      this.known = [];
      this.sweepDue = true;
    }
    this.schedule();
  }

  /**
   * Says that a commit enqueued a job due at `at` (a paced delivery): it is claimed by id when due,
   * not at the next poll after. One due further ahead than a poll's worth of wake-ups is left to the poll.
   */
  wakeAt(jobId: string, at: Date): void {
    const delay = at.getTime() - Date.now();
    if (delay <= 0) this.nudge([jobId]);
    else if (!this.stopped && delay <= MAX_WAKE_MS) setTimeout(() => this.nudge([jobId]), delay).unref();
  }

  /**
   * A place in this process's concurrency for a job the caller is about to insert already claimed
   * (`jobRow(…, worker.claimUntil())`) and have run here right after its commit, with no claim
   * statement: null when the worker is full or stopped (insert it pending then). Settle it either way.
   */
  reserve(options: { handOver?: boolean } = {}): Reservation | null {
    // A job started by a running job that ends right after it (a turn's reply) takes that job's place: never refused for room.
    if (this.stopped || (this.running >= this.options.concurrency && !options.handOver)) return null;
    this.running += 1;
    return { settled: false };
  }

  /** Until when a job inserted claimed now is this process's (its `locked_until`). */
  claimUntil(): Date {
    return new Date(Date.now() + this.options.lockMs);
  }

  /** After the commit: runs the job inserted claimed in the reserved place, or gives the place back (no job: it was inserted pending, or the insert failed). */
  settle(reservation: Reservation, claimed?: { job: Job; tenant: TenantInfo }): void {
    if (reservation.settled) return;
    reservation.settled = true;
    if (claimed) this.launch(claimedJob(claimed.job), claimed.tenant);
    else {
      this.running -= 1;
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped || (this.known.length === 0 && !this.sweepDue)) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    });
  }

  /** Stops claiming and waits for the jobs in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.pumping;
    // A job that ends may hand its place to one it inserted claimed (a turn's delivery): wait for those too.
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  /** Runs until no job is ready, optionally only one tenant's (tests use it instead of waiting on timers). */
  async drain(options: { tenantId?: string } = {}): Promise<void> {
    for (;;) {
      // Done only after a sweep that began with nothing running: a job that ends while a sweep is
      // under way may have committed jobs that the sweep's snapshot, taken before, could not see.
      const idle = this.inFlight.size === 0;
      const claimed = await this.sweep(this.options.concurrency, options);
      if (claimed.length === 0 && idle) return;
      for (const row of claimed) this.track(row);
      if (this.inFlight.size > 0) await Promise.race(this.inFlight.values());
    }
  }

  /**
   * Runs this job here and now if it is ready and free (a voice call waits for its answer); resolves
   * when it has run. False when it could not be claimed: another worker has it, or an earlier job of
   * its serial key comes first.
   */
  async runNow(jobId: string): Promise<boolean> {
    const runningHere = this.inFlight.get(jobId);
    if (runningHere) {
      await runningHere;
      return true;
    }
    const row = await this.claimById(jobId);
    if (!row || row.still_pending) return false;
    this.track(row);
    await this.inFlight.get(row.id);
    return true;
  }

  private async pump(): Promise<void> {
    try {
      const free = this.options.concurrency - this.running;
      const ids = this.known.splice(0, Math.max(0, free));
      const rows = await Promise.all(ids.map((id) => this.claimById(id)));
      rows.forEach((row, index) => {
        if (row?.still_pending) this.tryAgainSoon(ids[index]);
        else if (row) this.track(row);
        else this.retries.delete(ids[index]); // another worker has it, or it is done
      });
      const left = this.options.concurrency - this.running;
      if (!this.sweepDue || left <= 0) return;
      this.sweepDue = false;
      const claimed = await this.sweep(left);
      for (const row of claimed) this.track(row);
      // A full sweep of jobs nobody told this process about may have left more of them behind (a bulk
      // send's, a dead process's): sweep again when a place frees. A sweep that only took jobs told
      // about by id (they are the backlog under load, and claimed by id far cheaper) leaves the rest
      // to those claims and the poll: sweeping on every freed place cost the agent's turns a quarter
      // more CPU at 100 messages/s.
      if (claimed.length === left && claimed.some((row) => !this.known.includes(row.id))) this.sweepDue = true;
    } catch (error) {
      this.services().log.error({ err: error }, 'claiming jobs failed');
    }
  }

  /**
   * A job told about that is still pending but could not be claimed is usually waiting behind an
   * older one of its serial key, whose completion hands it on. That completion may have looked for a
   * successor just before this job committed: a few quick tries close that gap instead of the poll, a
   * second later. (One that another worker claimed first is not tried again.)
   */
  private tryAgainSoon(jobId: string): void {
    const tries = (this.retries.get(jobId) ?? 0) + 1;
    if (tries > RETRY_CLAIM_MS.length) {
      this.retries.delete(jobId);
      return;
    }
    this.retries.set(jobId, tries);
    setTimeout(() => this.nudge([jobId]), RETRY_CLAIM_MS[tries - 1]).unref();
  }

  private get kinds(): string {
    return `{${Object.keys(this.handlers).join(',')}}`;
  }

  private async sweep(limit: number, only: { tenantId?: string } = {}): Promise<Row[]> {
    if (limit <= 0) return [];
    const { lockMs } = this.options;
    return this.services().sql.query<Row>(
      only.tenantId ? { sql: CLAIM_READY_OF_TENANT, params: [lockMs, this.kinds, only.tenantId, limit] } : { sql: CLAIM_READY, params: [lockMs, this.kinds, limit] },
    );
  }

  private async claimById(jobId: string): Promise<ClaimByIdRow | undefined> {
    const [row] = await this.services().sql.query<ClaimByIdRow>({ sql: CLAIM_BY_ID, params: [this.options.lockMs, jobId, this.kinds, jobId] });
    return row;
  }

  private track(row: Row): void {
    this.running += 1;
    this.retries.delete(row.id);
    const tenant = { id: row.tenant_id, slug: row.tenant_slug, name: row.tenant_name, timeZone: row.tenant_time_zone, defaultCountry: row.tenant_default_country };
    this.launch(
      { id: row.id, tenantId: row.tenant_id, kind: row.kind, payload: row.payload, serialKey: row.serial_key, attempts: row.attempts, maxAttempts: row.max_attempts },
      tenant,
    );
  }

  /** Runs a claimed job in a place already counted in `running`. */
  private launch(job: ClaimedJob, tenant: TenantInfo): void {
    const run = this.runJob(job, tenant)
      .catch((error: unknown) => {
        this.services().log.error({ err: error, jobId: job.id }, 'recording how a job ended failed; the sweep will run it again');
        return null;
      })
      .then((next) => {
        this.running -= 1;
        this.inFlight.delete(job.id);
        // Its serial key's next job is free now; otherwise there is only something to do if it was asked for.
        if (next) this.nudge([next]);
        else this.schedule();
      });
    this.inFlight.set(job.id, run);
  }

  /** Runs the job and records how it ended; resolves to the next job of its serial key, if one is waiting. */
  private async runJob(job: ClaimedJob, tenant: TenantInfo): Promise<string | null> {
    const services = this.services();
    const log = services.log.child({ jobId: job.id, kind: job.kind });
    try {
      const handler = this.handlers[job.kind];
      if (!handler) throw new Error(`No handler for job kind ${job.kind}`); // claimed by kind, so only if handlers changed
      let completed: Finished | undefined;
      const complete = async (sql: Sql, writes: readonly Statement[] = [], reads?: string) => {
        [completed] = await sql.query<Finished>(completion(job, writes, sql.inTransaction, reads));
        return completed;
      };
      await handler({ services, tenant, log, job, complete });
      if (!completed) await complete(services.sql);
      return completed?.next_id ?? null;
    } catch (error) {
      const final = job.attempts >= job.maxAttempts;
      // A failure that will be retried (Twilio rate-limiting, no embedding model yet) is routine: a
      // warning; the last one is an error, for staff. The job keeps what a log line may show of it.
      if (final) log.error({ err: error, attempts: job.attempts }, 'job failed for good');
      const retryInMs = error instanceof RetryAfter ? error.delayMs : backoffMs(job.attempts);
      if (!final) log.warn({ err: error, attempts: job.attempts, retryInMs }, 'job failed; it will be retried');
      const lastError = errorSummary(error);
      if (!final) {
        await services.sql.query({ sql: RETRY_LATER, params: [retryInMs, lastError, job.id] });
        return null;
      }
      const [failed] = await services.sql.query<Finished>({ sql: FAIL, params: [lastError, job.id] });
      return failed?.next_id ?? null;
    }
  }
}
