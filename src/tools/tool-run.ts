import { defineEntity, p, type InferEntity, type MetadataStorage } from '@mikro-orm/core';
import type { Sql } from '../db/sql.js';
import { insertRows, JsonText, oneStatement } from '../db/statement.js';
import { unflushedCte } from '../db/unflushed.js';
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

/** Outputs longer than this (characters of JSON) are logged as their size only. */
export const MAX_LOGGED_OUTPUT = 32_768;

/**
 * Writes a run row with one statement of the typed store (columns from the entity's metadata): it is
 * on every call's path, where the ORM's insert (metadata, change sets) costs more than the row itself.
 * In a write's transaction it commits with the change; outside one, the call changed nothing, and the
 * row is committed unflushed (src/db/unflushed.ts).
 */
export async function insertToolRun(sql: Sql, orm: { getMetadata(): MetadataStorage }, run: ToolRun): Promise<void> {
  // A big answer (a thousand slots) is logged by its size: writing it costs more than the call did.
  // Runs with an idempotency key keep it whole, since a replay answers with it.
  const output = run.output === null || run.output === undefined ? null : JSON.stringify(run.output);
  const loggedOutput = output && output.length > MAX_LOGGED_OUTPUT && !run.idempotencyKey ? JSON.stringify({ truncated: true, bytes: output.length }) : output;
  const insert = insertRows(orm, ToolRun, [{ ...run, output: loggedOutput === null ? null : new JsonText(loggedOutput) }]);
  await sql.query(sql.inTransaction ? insert : oneStatement([unflushedCte, insert], { sql: 'select 1 from unflushed', params: [] }));
}
