import type { EntityManager } from '@mikro-orm/postgresql';
import type { Services, TenantInfo } from '../context.js';
import type { Logger } from '../log.js';

/** A claimed job, as the handler sees it. */
export type ClaimedJob = { id: string; tenantId: string; kind: string; payload: Record<string, unknown>; serialKey: string | null; attempts: number; maxAttempts: number };

export type JobContext = {
  services: Services;
  tenant: TenantInfo;
  log: Logger;
  job: ClaimedJob;
  /**
   * Marks the job done inside the handler's own transaction, so its effects and its completion
   * commit together (and the worker writes nothing more). Handlers that do not call it are marked
   * done after they return.
   */
  complete(em: EntityManager): Promise<void>;
};
export type JobHandler = (context: JobContext) => Promise<void>;

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

/**
 * Claims ready jobs of the kinds this worker handles: pending and due, or running with an expired
 * lock (its worker died). A job whose serial key has an older job still pending or running waits its
 * turn. `skip locked` lets several workers claim side by side without taking the same job. The
 * job's tenant comes back with it, so running a job costs no lookup.
 */
const CLAIM = `
  update job set status = 'running', attempts = job.attempts + 1, locked_until = now() + (? * interval '1 millisecond')
    from tenant t
   where t.id = job.tenant_id and job.id in (
     select j.id from job j
      where ((j.status = 'pending' and j.run_at <= now()) or (j.status = 'running' and j.locked_until < now()))
        and j.kind = any(?::text[])
        and (?::uuid is null or j.tenant_id = ?::uuid)
        and (?::uuid is null or j.id = ?::uuid)
        and (j.serial_key is null or not exists (
              select 1 from job k
               where k.serial_key = j.serial_key and k.status in ('pending', 'running')
                 and (k.created_at, k.id) < (j.created_at, j.id)))
      order by j.created_at, j.id
      limit ?
      for update skip locked)
  returning job.id, job.tenant_id, job.kind, job.payload, job.serial_key, job.attempts, job.max_attempts,
            t.slug as tenant_slug, t.name as tenant_name, t.time_zone as tenant_time_zone, t.default_country as tenant_default_country`;

const SUCCEED = `update job set status = 'succeeded', finished_at = now(), locked_until = null where id = ?`;

const backoffMs = (attempts: number) => Math.min(300_000, 1000 * 2 ** (attempts - 1));

/**
 * Runs jobs in this process: at once when nudged after a commit, and on a slow poll that also
 * picks up what a crashed process left. One instance per process.
 */
export class JobWorker {
  private running = 0;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private again = false;
  /** Jobs running in this process, by id. */
  private readonly inFlight = new Map<string, Promise<void>>();

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

  /** Asks for a claim round soon; cheap, coalesced. */
  nudge(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.again) {
        this.again = false;
        this.nudge();
      }
    });
  }

  /** Stops claiming and waits for the jobs in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.pumping;
    await Promise.all(this.inFlight.values());
  }

  /** Runs until no job is ready, optionally only one tenant's (tests use it instead of waiting on timers). */
  async drain(options: { tenantId?: string } = {}): Promise<void> {
    for (;;) {
      const claimed = await this.claim(this.options.concurrency, options);
      if (claimed.length === 0 && this.inFlight.size === 0) return;
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
    const [row] = await this.claim(1, { jobId });
    if (!row) return false;
    this.track(row);
    await this.inFlight.get(row.id);
    return true;
  }

  private async pump(): Promise<void> {
    try {
      const free = this.options.concurrency - this.running;
      if (free <= 0) return;
      const claimed = await this.claim(free);
      for (const row of claimed) this.track(row);
      if (claimed.length === free) this.again = true;
    } catch (error) {
      this.services().log.error({ err: error }, 'claiming jobs failed');
    }
  }

  private async claim(limit: number, only: { tenantId?: string; jobId?: string } = {}): Promise<Row[]> {
    if (limit <= 0) return [];
    const kinds = `{${Object.keys(this.handlers).join(',')}}`;
    const tenantId = only.tenantId ?? null;
    const jobId = only.jobId ?? null;
    return this.services().orm.em.fork().execute<Row[]>(CLAIM, [this.options.lockMs, kinds, tenantId, tenantId, jobId, jobId, limit]);
  }

  private track(row: Row): void {
    this.running += 1;
    const run = this.runJob(row).finally(() => {
      this.running -= 1;
      this.inFlight.delete(row.id);
      this.nudge();
    });
    this.inFlight.set(row.id, run);
  }

  private async runJob(row: Row): Promise<void> {
    const job: ClaimedJob = {
      id: row.id,
      tenantId: row.tenant_id,
      kind: row.kind,
      payload: row.payload,
      serialKey: row.serial_key,
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
    };
    const services = this.services();
    const log = services.log.child({ jobId: job.id, kind: job.kind });
    const em = services.orm.em.fork();
    try {
      const handler = this.handlers[job.kind];
      if (!handler) throw new Error(`No handler for job kind ${job.kind}`); // claimed by kind, so only if handlers changed
      const tenant = { id: row.tenant_id, slug: row.tenant_slug, name: row.tenant_name, timeZone: row.tenant_time_zone, defaultCountry: row.tenant_default_country };
      let completed = false;
      const complete = async (transaction: EntityManager) => {
        await transaction.execute(SUCCEED, [job.id], 'run');
        completed = true;
      };
      await handler({ services, tenant, log, job, complete });
      if (!completed) await em.execute(SUCCEED, [job.id], 'run');
    } catch (error) {
      const final = job.attempts >= job.maxAttempts;
      // A failure that will be retried (Twilio rate-limiting, no embedding model yet) is routine: a
      // warning with its message; the last one is an error with the whole stack, for staff.
      if (final) log.error({ err: error, attempts: job.attempts }, 'job failed for good');
      else log.warn({ error: error instanceof Error ? error.message : String(error), attempts: job.attempts, retryInMs: backoffMs(job.attempts) }, 'job failed; it will be retried');
      await em.execute(
        final
          ? `update job set status = 'failed', finished_at = now(), locked_until = null, last_error = ? where id = ?`
          : `update job set status = 'pending', run_at = now() + (? * interval '1 millisecond'), locked_until = null, last_error = ? where id = ?`,
        final ? [String(error), job.id] : [backoffMs(job.attempts), String(error), job.id],
        'run',
      );
    }
  }
}
