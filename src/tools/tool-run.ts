import { UNFLUSHED } from '../db/unflushed.js';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { tenantFilter } from '../db/base.js';

export const toolRunStatuses = ['succeeded', 'failed', 'rejected'] as const;
export type ToolRunStatus = (typeof toolRunStatuses)[number];

/**
 * One call of one operation, through any door. Written for every call: in the operation's own
 * transaction when it succeeds, on its own after a failure or a refusal.
 */
export const ToolRun = defineEntity({
  name: 'ToolRun',
  tableName: 'tool_run',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    tool: p.string(),
    status: p.enum([...toolRunStatuses]),
    actorKind: p.string(),
    actorId: p.string(),
    channel: p.string(),
    conversationId: p.uuid().nullable(),
    requestId: p.string().nullable(),
    input: p.json<unknown>().nullable(),
    output: p.json<unknown>().nullable(),
    errorCode: p.string().nullable(),
    errorMessage: p.text().nullable(),
    durationMs: p.double().$type<number>(),
    startedAt: p.datetime(),
    idempotencyKey: p.string().nullable(),
    /** Set on a replay: the run whose result was returned again. */
    replayOf: p.uuid().nullable(),
  },
});
export type ToolRun = InferEntity<typeof ToolRun>;

const COLUMNS = [
  'id', 'tenant_id', 'tool', 'status', 'actor_kind', 'actor_id', 'channel', 'conversation_id', 'request_id',
  'input', 'output', 'error_code', 'error_message', 'duration_ms', 'started_at', 'idempotency_key', 'replay_of',
] as const;
/** Outputs longer than this (characters of JSON) are logged as their size only. */
export const MAX_LOGGED_OUTPUT = 32_768;

const INSERT = `insert into tool_run (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`;

/**
 * The same insert on its own, committed unflushed (see src/db/unflushed.ts): it logs a call that
 * changed nothing (a read, a refusal, a failure); the flush doubled the cost of a read.
 */
const INSERT_UNFLUSHED = `with ${UNFLUSHED}
  insert into tool_run (${COLUMNS.join(', ')}) select ${COLUMNS.map(() => '?').join(', ')} from unflushed`;

/**
 * Writes a run row with one plain statement: it is on every call's path, where the ORM's insert
 * (metadata, change sets) costs more than the row itself. Inside a transaction (a write) it commits
 * with the change; outside one, the call changed nothing, and the row is written unflushed.
 */
export async function insertToolRun(em: EntityManager, run: ToolRun): Promise<void> {
  const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
  const output = json(run.output);
  // A big answer (a thousand slots) is logged by its size: writing it costs more than the call did.
  // Runs with an idempotency key keep it whole, since a replay answers with it.
  const loggedOutput = output && output.length > MAX_LOGGED_OUTPUT && !run.idempotencyKey ? JSON.stringify({ truncated: true, bytes: output.length }) : output;
  await em.execute(
    em.isInTransaction() ? INSERT : INSERT_UNFLUSHED,
    [
      run.id, run.tenantId, run.tool, run.status, run.actorKind, run.actorId, run.channel, run.conversationId ?? null, run.requestId ?? null,
      json(run.input), loggedOutput, run.errorCode ?? null, run.errorMessage ?? null, run.durationMs, run.startedAt, run.idempotencyKey ?? null, run.replayOf ?? null,
    ],
    'run',
  );
}
