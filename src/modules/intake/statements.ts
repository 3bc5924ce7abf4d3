import type { Statement } from '../../db/statement.js';

/** The intake module's SQL: the counts of its stats, grouped in the database. Each names its tenant. */

export type StatsFilters = { tenantId: string; since?: Date; until?: Date };

/** The sessions the stats count (`s`), of the tenant and created in the range. */
function sessionsIn(filters: StatsFilters): { sql: string; params: unknown[] } {
  const conditions = ['s.tenant_id = ?'];
  const params: unknown[] = [filters.tenantId];
  if (filters.since) {
    conditions.push('s.created_at >= ?');
    params.push(filters.since);
  }
  if (filters.until) {
    conditions.push('s.created_at < ?');
    params.push(filters.until);
  }
  return { sql: conditions.join(' and '), params };
}

/**
 * Counts, one row per (dimension, key): sessions by status, their records by kind, their summaries by
 * state and by source (a pending one has none yet).
 */
export function intakeCounts(filters: StatsFilters): Statement {
  const sessions = sessionsIn(filters);
  const joined = (table: string, alias: string) => `from ${table} ${alias} join intake_session s on s.tenant_id = ${alias}.tenant_id and s.id = ${alias}.session_id where ${alias}.tenant_id = ? and ${sessions.sql}`;
  return {
    sql: `select 'status' as dimension, s.status as key, count(*)::int as count from intake_session s where ${sessions.sql} group by s.status
      union all select 'kind', r.kind, count(*)::int ${joined('intake_record', 'r')} group by r.kind
      union all select 'summaryState', m.state, count(*)::int ${joined('intake_summary', 'm')} group by m.state
      union all select 'summarySource', m.source, count(*)::int ${joined('intake_summary', 'm')} and m.source is not null group by m.source`,
    params: [...sessions.params, filters.tenantId, ...sessions.params, filters.tenantId, ...sessions.params, filters.tenantId, ...sessions.params],
  };
}
export type CountRow = { dimension: 'status' | 'kind' | 'summaryState' | 'summarySource'; key: string; count: number };
