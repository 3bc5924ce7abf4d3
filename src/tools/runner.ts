import type { EntityManager } from '@mikro-orm/postgresql';
import { createContext, type AppContext, type Caller, type Services } from '../context.js';
import { fromDatabaseError, isConstraintViolation } from '../db/database-errors.js';
import { TENANT_FILTER } from '../db/base.js';
import { AppError, conflict, fromZodError, notFound, toAppError } from '../errors.js';
import { newId } from '../ids.js';
import { bindSubject, refusal } from './access.js';
import type { Operation } from './operation.js';
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

/**
 * The one way any operation runs, from every door: find it, authorize, validate, run it in its own
 * unit of work, and log the run, whatever the outcome.
 */
export async function runOperation(
  services: Services,
  caller: Caller,
  request: RunRequest,
): Promise<RunOutcome> {
  const started = performance.now();
  const log = new RunLog(services, caller, request, started);

  const operation = services.registry.get(request.tool);
  if (!operation) return log.refused(notFound('Tool', request.tool), request.input);

  const refused = refusal(operation, caller);
  if (refused) return log.refused(refused, request.input);

  const parsed = operation.input.safeParse(bindSubject(operation, caller, request.input));
  if (!parsed.success) return log.refused(fromZodError(parsed.error), request.input);
  const input: unknown = parsed.data;

  const em = tenantEntityManager(services, caller.tenant.id);
  try {
    if (request.idempotencyKey) {
      const replay = await findReplay(em, operation, request.idempotencyKey, input);
      if (replay) return await log.replayed(em, replay, input);
    }
    if (operation.annotations.readOnly) {
      return { ok: true, runId: log.runId, output: await execute(em, operation, services, caller, input, log), replayed: false };
    }
    const output = await em.transactional((transaction) => execute(transaction, operation, services, caller, input, log));
    services.jobs.nudge(); // the commit may have enqueued jobs
    return { ok: true, runId: log.runId, output, replayed: false };
  } catch (error) {
    if (request.idempotencyKey && isConstraintViolation(error, 'tool_run_idempotency_unique')) {
      // A concurrent call with the same key committed first: answer with its result.
      const replay = await findReplay(tenantEntityManager(services, caller.tenant.id), operation, request.idempotencyKey, input);
      if (replay) return await log.replayed(tenantEntityManager(services, caller.tenant.id), replay, input);
    }
    return log.failed(toAppError(fromDatabaseError(error)), input);
  }
}

async function execute(
  em: EntityManager,
  operation: Operation,
  services: Services,
  caller: Caller,
  input: unknown,
  log: RunLog,
): Promise<unknown> {
  em.setFilterParams(TENANT_FILTER, { tenantId: caller.tenant.id });
  const ctx: AppContext = { ...createContext(services, caller, em), log: log.logger };
  const result = await operation.run(ctx, input as never);
  await em.flush();
  const output = operation.output.parse(result);
  await insertToolRun(em, log.row('succeeded', { input, output }));
  return output;
}

async function findReplay(em: EntityManager, operation: Operation, key: string, input: unknown): Promise<ToolRun | null> {
  const first = await em.findOne(ToolRun, { tool: operation.name, idempotencyKey: key, status: 'succeeded', replayOf: null });
  if (first && stableJson(first.input) !== stableJson(redacted(operation, input))) {
    throw conflict(`Idempotency key "${key}" was already used for ${operation.name} with a different input.`);
  }
  return first;
}

/** The input as the log keeps it: the operation's secret fields replaced. */
function redacted(operation: Operation | undefined, input: unknown): unknown {
  if (!operation?.redact || input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  return Object.fromEntries(Object.entries(input).map(([key, value]) => [key, operation.redact?.includes(key) ? '[redacted]' : value]));
}

/** Builds and writes the run's log row; one instance per call. */
class RunLog {
  readonly runId = newId();
  readonly startedAt: Date;
  readonly logger: AppContext['log'];
  private readonly operation: Operation | undefined;

  constructor(
    private readonly services: Services,
    private readonly caller: Caller,
    private readonly request: RunRequest,
    private readonly started: number,
  ) {
    this.startedAt = services.clock.now();
    this.operation = services.registry.get(request.tool);
    this.logger = services.log.child({ requestId: caller.requestId, tool: request.tool, runId: this.runId });
  }

  row(status: ToolRunStatus, fields: { input: unknown; output?: unknown; error?: AppError; replayOf?: string }): ToolRun {
    return {
      id: this.runId,
      tenantId: this.caller.tenant.id,
      tool: this.request.tool.slice(0, 200),
      status,
      actorKind: this.caller.actor.kind,
      actorId: this.caller.actor.id,
      channel: this.caller.channel,
      conversationId: this.caller.conversationId ?? null,
      requestId: this.caller.requestId ?? null,
      input: redacted(this.operation, fields.input) ?? null,
      output: fields.output ?? null,
      errorCode: fields.error?.code ?? null,
      errorMessage: fields.error?.message ?? null,
      durationMs: performance.now() - this.started,
      startedAt: this.startedAt,
      idempotencyKey: fields.replayOf ? null : (this.request.idempotencyKey ?? null),
      replayOf: fields.replayOf ?? null,
    };
  }

  async refused(error: AppError, input: unknown): Promise<RunOutcome> {
    await this.write(this.row('rejected', { input, error }));
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

  async replayed(em: EntityManager, first: ToolRun, input: unknown): Promise<RunOutcome> {
    await insertToolRun(em, this.row('succeeded', { input, output: first.output, replayOf: first.id }));
    return { ok: true, runId: this.runId, output: first.output, replayed: true };
  }

  /** Written on a manager of its own: the operation's transaction, if any, is already rolled back. */
  private async write(row: ToolRun): Promise<void> {
    await insertToolRun(tenantEntityManager(this.services, this.caller.tenant.id), row);
  }
}
