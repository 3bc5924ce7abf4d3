import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
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
