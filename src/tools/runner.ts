import type { EntityManager } from '@mikro-orm/postgresql';
import { createContext, type AppContext, type Caller, type Services } from '../context.js';
import { fromDatabaseError, isTransientConflict } from '../db/database-errors.js';
import { TENANT_FILTER } from '../db/base.js';
import { lockUntilCommit } from '../db/locks.js';
import { ormSql } from '../db/sql.js';
import { AppError, conflict, fromZodError, invalidFields, notFound, toAppError, type FieldIssue } from '../errors.js';
import { newId } from '../ids.js';
import { bindSubject, refusal } from './access.js';
import type { Operation } from './operation.js';
import { inputTextProblems, storableText, textProblem } from './input-text.js';
import { boundedInput, loggableInput, loggableOutput } from './logged-input.js';
import { stableJson } from './stable-json.js';
import { insertToolRun, ToolRun, type ToolRunStatus } from './tool-run.js';

export type RunRequest = {
  tool: string;
  input: unknown;
  /** A repeated key for the same tool and tenant returns the first result and runs nothing. */
  idempotencyKey?: string;
};

export type RunOutcome =
  | { ok: true; runId: string; output: unknown; replayed: boolean }
  | { ok: false; runId: string; error: AppError };

/** Operations by name. Built once at start from every module's operations. */
export type Registry = {
  operations: readonly Operation[];
  get(name: string): Operation | undefined;
};

export function createRegistry(operations: readonly Operation[]): Registry {
  const byName = new Map<string, Operation>();
  for (const operation of operations) {
    if (byName.has(operation.name)) throw new Error(`Two operations are named ${operation.name}`);
    byName.set(operation.name, operation);
  }
  return { operations, get: (name) => byName.get(name) };
}

/** A manager of its own for one call, bound to the caller's tenant. */
export function tenantEntityManager(services: Services, tenantId: string): EntityManager {
  const em = services.orm.em.fork();
  em.setFilterParams(TENANT_FILTER, { tenantId });
  return em;
}

/** An idempotency key: what any client would send (a UUID, an order number), short enough to index. */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,200}$/;
/** A transaction the database gave up on because of another one is run again, this many times at most. */
const ATTEMPTS = 3;

const usableKey = (key: string | undefined): key is string => key !== undefined && IDEMPOTENCY_KEY.test(key);

/** What makes a request unusable before its tool is even looked up: text the database cannot store, a bad key. */
function requestProblems(request: RunRequest): AppError | undefined {
  const toolProblem = typeof request.tool === 'string' ? textProblem(request.tool) : undefined;
  const issues: FieldIssue[] = [
    ...(toolProblem ? [{ path: 'tool', message: toolProblem }] : []),
    ...(request.idempotencyKey !== undefined && !usableKey(request.idempotencyKey)
      ? [{ path: 'idempotencyKey', message: '1 to 200 printable ASCII characters (the Idempotency-Key header, or _meta.idempotencyKey over MCP)' }]
      : []),
    ...inputTextProblems(request.input),
  ];
  return issues.length === 0 ? undefined : invalidFields(issues);
}

/**
 * The one way any operation runs, from every door: find it, authorize, validate, run it in its own
 * unit of work, and log the run, whatever the outcome. A write with an idempotency key holds that key
 * (tenant, tool, key) until it commits, so concurrent calls with one key run one after another and
 * all but the first answer with the first one's result.
 */
export async function runOperation(
  services: Services,
  caller: Caller,
  request: RunRequest,
): Promise<RunOutcome> {
  const log = new RunLog(services, caller, request, performance.now());

  const unusable = requestProblems(request);
  if (unusable) return log.refused(unusable);

  const operation = services.registry.get(request.tool);
  if (!operation) return log.refused(notFound('Tool', request.tool));

  const refused = refusal(operation, caller);
  if (refused) return log.refused(refused);

  const parsed = operation.input.safeParse(bindSubject(operation, caller, request.input));
  if (!parsed.success) return log.refused(fromZodError(parsed.error));
  const input: unknown = parsed.data;
  const key = request.idempotencyKey;

  try {
    if (operation.annotations.readOnly && key === undefined) {
      const output = await execute(() => tenantEntityManager(services, caller.tenant.id), operation, services, caller, input, log);
      return { ok: true, runId: log.runId, output, replayed: false };
    }
    const result = await inTransaction(services, caller.tenant.id, async (transaction) => {
      if (key !== undefined) {
        await lockUntilCommit(transaction, `idempotency:${caller.tenant.id}:${operation.name}:${key}`);
        const first = await findReplay(transaction, operation, key, input);
        if (first) return { output: await log.replayed(transaction, first, input), replayed: true };
      }
      return { output: await execute(transaction, operation, services, caller, input, log), replayed: false };
    });
    services.jobs.nudge(); // the commit may have enqueued jobs
    return { ok: true, runId: log.runId, ...result };
  } catch (error) {
    return log.failed(toAppError(fromDatabaseError(error)), input);
  }
}

/**
 * `work` in a transaction of its own. When the database ends it for a deadlock or a serialization
 * failure (two merges crossing, say), nothing of it was kept, so it runs again from the start, on a
 * fresh manager, after a short random wait that lets the other transaction finish.
 */
async function inTransaction<T>(services: Services, tenantId: string, work: (transaction: EntityManager) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await tenantEntityManager(services, tenantId).transactional(work);
    } catch (error) {
      if (attempt >= ATTEMPTS || !isTransientConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}

/** Runs the operation on `em`, a transaction's; for a read, a manager made only if the operation uses the ORM. */
async function execute(
  em: EntityManager | (() => EntityManager),
  operation: Operation,
  services: Services,
  caller: Caller,
  input: unknown,
  log: RunLog,
): Promise<unknown> {
  if (typeof em !== 'function') em.setFilterParams(TENANT_FILTER, { tenantId: caller.tenant.id });
  const ctx: AppContext = createContext(services, caller, em, () => log.logger);
  const result = await operation.run(ctx, input as never);
  // A read has nothing to write: no flush, whose change-set computation walks every entity it loaded.
  if (!operation.annotations.readOnly) await ctx.em.flush();
  const output = operation.output.parse(result);
  await insertToolRun(ctx.sql, services.orm, log.row('succeeded', { input, output: loggableOutput(operation, output) }));
  return output;
}

async function findReplay(em: EntityManager, operation: Operation, key: string, input: unknown): Promise<ToolRun | null> {
  const first = await em.findOne(ToolRun, { tool: operation.name, idempotencyKey: key, status: 'succeeded', replayOf: null });
  if (first && stableJson(first.input) !== stableJson(loggableInput(operation, input))) {
    throw conflict(`Idempotency key "${key}" was already used for ${operation.name} with a different input.`);
  }
  return first;
}

/** Builds and writes the run's log row; one instance per call. */
class RunLog {
  readonly runId = newId();
  readonly startedAt: Date;
  private readonly operation: Operation | undefined;
  private childLogger: AppContext['log'] | undefined;

  constructor(
    private readonly services: Services,
    private readonly caller: Caller,
    private readonly request: RunRequest,
    private readonly started: number,
  ) {
    this.startedAt = services.clock.now();
    this.operation = services.registry.get(request.tool);
  }

  /** The call's logger, made when first used (most calls log nothing). */
  get logger(): AppContext['log'] {
    return (this.childLogger ??= this.services.log.child({ requestId: this.caller.requestId, tool: this.request.tool, runId: this.runId }));
  }

  row(status: ToolRunStatus, fields: { input: unknown; output?: unknown; error?: AppError; replayOf?: string }): ToolRun {
    return {
      id: this.runId,
      tenantId: this.caller.tenant.id,
      tool: storableText(String(this.request.tool).slice(0, 200)),
      status,
      actorKind: this.caller.actor.kind,
      actorId: this.caller.actor.id,
      channel: this.caller.channel,
      conversationId: this.caller.conversationId ?? null,
      requestId: this.caller.requestId ?? null,
      input: (status === 'succeeded' ? loggableInput(this.operation, fields.input) : boundedInput(this.operation, fields.input)) ?? null,
      output: fields.output ?? null,
      errorCode: fields.error?.code ?? null,
      errorMessage: fields.error ? storableText(fields.error.message) : null,
      durationMs: performance.now() - this.started,
      startedAt: this.startedAt,
      idempotencyKey: fields.replayOf || !usableKey(this.request.idempotencyKey) ? null : this.request.idempotencyKey,
      replayOf: fields.replayOf ?? null,
    };
  }

  /** Refused before it ran: the input is logged as it came (bounded, secrets redacted). */
  async refused(error: AppError): Promise<RunOutcome> {
    await this.write(this.row('rejected', { input: this.request.input, error }));
    this.logger.info({ code: error.code }, 'tool run rejected');
    return { ok: false, runId: this.runId, error };
  }

  async failed(error: AppError, input: unknown): Promise<RunOutcome> {
    // Bad input found by the operation itself is a refusal too; anything else is a failure.
    const status: ToolRunStatus = error.code === 'invalid_input' || error.code === 'forbidden' ? 'rejected' : 'failed';
    await this.write(this.row(status, { input, error }));
    if (error.code === 'internal') this.logger.error({ err: error.cause }, 'tool run failed');
    else this.logger.info({ code: error.code }, `tool run ${status}`);
    return { ok: false, runId: this.runId, error };
  }

  /** Logs this call as a replay of `first`, in the caller's transaction; returns the first call's output. */
  async replayed(em: EntityManager, first: ToolRun, input: unknown): Promise<unknown> {
    await insertToolRun(ormSql(em), this.services.orm, this.row('succeeded', { input, output: first.output, replayOf: first.id }));
    return first.output;
  }

  /** Written on a manager of its own: the operation's transaction, if any, is already rolled back. */
  private async write(row: ToolRun): Promise<void> {
    await insertToolRun(this.services.sql, this.services.orm, row);
  }
}
