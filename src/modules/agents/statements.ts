import type { MetadataStorage } from '@mikro-orm/core';
import { entityColumns, perOrm } from '../../db/columns.js';
import type { Position } from '../../db/pagination.js';
import type { Statement } from '../../db/statement.js';
import { ToolRun } from '../../tools/tool-run.js';

/** The run log's reads, as statements of the typed store: plain rows, no identity map or change tracking. */

type Metadata = { getMetadata(): MetadataStorage };

const RUN_PROPERTIES = [
  'id', 'tool', 'status', 'actorKind', 'actorId', 'channel', 'conversationId', 'requestId', 'input', 'output',
  'errorCode', 'errorMessage', 'durationMs', 'startedAt', 'idempotencyKey', 'replayOf',
] as const;
export type RunRow = Pick<ToolRun, (typeof RUN_PROPERTIES)[number]>;

export const runColumns = perOrm((orm) => entityColumns(orm, ToolRun, { alias: 'r', prefix: '', properties: RUN_PROPERTIES }));

export type RunFilter = { tool?: string; status?: string; actorKind?: string; since?: string; until?: string; after?: Position; limit: number };

/** A page of the tenant's runs, newest first, (started_at, id) keyset (the index tool_run_recent_idx). */
export function listRuns(orm: Metadata, tenantId: string, filter: RunFilter): Statement {
  const conditions: [string, unknown[]][] = [['r.tenant_id = ?', [tenantId]]];
  if (filter.tool !== undefined) conditions.push(['r.tool = ?', [filter.tool]]);
  if (filter.status !== undefined) conditions.push(['r.status = ?', [filter.status]]);
  if (filter.actorKind !== undefined) conditions.push(['r.actor_kind = ?', [filter.actorKind]]);
  if (filter.since !== undefined) conditions.push(['r.started_at >= ?', [new Date(filter.since)]]);
  if (filter.until !== undefined) conditions.push(['r.started_at < ?', [new Date(filter.until)]]);
  if (filter.after) conditions.push(['(r.started_at < ? or (r.started_at = ? and r.id < ?))', [filter.after.at, filter.after.at, filter.after.id]]);
  return {
    sql: `select ${runColumns(orm).sql} from tool_run r where ${conditions.map(([sql]) => sql).join(' and ')}
      order by r.started_at desc, r.id desc limit ?`,
    params: [...conditions.flatMap(([, values]) => values), filter.limit],
  };
}
