import type { MetadataStorage } from '@mikro-orm/core';
import { entityColumns, entityJson, perOrm } from '../../db/columns.js';
import { insertRows, oneStatement, type Statement } from '../../db/statement.js';
import { DomainEvent, eventRows, type NewEvent } from '../../events.js';
import { Job } from '../../jobs/job.js';
import { IntakeRecord, IntakeSession } from './entities.js';

/**
 * The intake module's SQL: an upsert of records in two statements, and the counts of its stats.
 * Select lists and inserts come from the entities' metadata; each statement names its tenant.
 */

type Metadata = { getMetadata(): MetadataStorage };

export const SESSION_PROPERTIES = [
  'id', 'tenantId', 'patientId', 'appointmentId', 'conversationId', 'channel', 'status', 'rev', 'recordCount',
  'createdByKind', 'createdById', 'submittedAt', 'reviewedAt', 'reviewedById', 'createdAt', 'updatedAt',
] as const;
export type SessionRow = Pick<IntakeSession, (typeof SESSION_PROPERTIES)[number]>;
const STORED_PROPERTIES = ['id', 'clientItemId', 'kind', 'data'] as const;
export type StoredRecord = Pick<IntakeRecord, (typeof STORED_PROPERTIES)[number]>;

const columns = perOrm((orm) => ({
  session: entityColumns(orm, IntakeSession, { alias: 's', prefix: '', properties: SESSION_PROPERTIES }),
  record: entityJson(orm, IntakeRecord, { alias: 'r', properties: STORED_PROPERTIES }),
}));

/** The session, locked until the commit, with its records of `clientItemIds` (`stored`); no row when the clinic has no such session. */
export function lockSessionWithRecords(orm: Metadata, at: { tenantId: string; sessionId: string; clientItemIds: readonly string[] }): Statement {
  const { session, record } = columns(orm);
  return {
    sql: `select ${session.sql},
        coalesce((select json_agg(${record.sql}) from intake_record r
                   where r.tenant_id = s.tenant_id and r.session_id = s.id
                     and r.client_item_id in (select jsonb_array_elements_text(?::jsonb))), '[]') as stored
      from intake_session s where s.tenant_id = ? and s.id = ?
      for update of s`,
    params: [JSON.stringify(at.clientItemIds), at.tenantId, at.sessionId],
  };
}

/** The session out of a row of either statement. */
export const readSession = (orm: Metadata, row: Record<string, unknown>): SessionRow => columns(orm).session.read(row);

/** The stored records out of a row of `lockSessionWithRecords`. */
export const readStored = (orm: Metadata, row: Record<string, unknown>): StoredRecord[] => (row.stored as Record<string, unknown>[]).map(columns(orm).record.read);

/**
 * The batch's writes, as one statement answering with the session as it is after them: the new
 * records, the changed ones, the session's next rev and record count, and the event with its jobs.
 */
export function writeUpsert(
  orm: Metadata,
  at: {
    tenantId: string;
    sessionId: string;
    now: Date;
    created: readonly IntakeRecord[];
    updated: readonly Pick<IntakeRecord, 'id' | 'kind' | 'data'>[];
    event: NewEvent;
  },
): Statement {
  const { event, jobs } = eventRows(at.tenantId, at.event, at.now);
  const writes: Statement[] = [
    ...(at.created.length > 0 ? [insertRows(orm, IntakeRecord, at.created)] : []),
    ...(at.updated.length > 0
      ? [
          {
            sql: `update intake_record r set kind = v.kind, data = v.data, updated_at = ?
                    from jsonb_to_recordset(?::jsonb) as v(id uuid, kind text, data jsonb)
                   where r.tenant_id = ? and r.session_id = ? and r.id = v.id`,
            params: [at.now, JSON.stringify(at.updated), at.tenantId, at.sessionId],
          },
        ]
      : []),
    insertRows(orm, DomainEvent, [event]),
    ...(jobs.length > 0 ? [insertRows(orm, Job, jobs)] : []),
  ];
  const { session } = columns(orm);
  return oneStatement(writes, {
    sql: `update intake_session s set rev = s.rev + 1, record_count = s.record_count + ?, updated_at = ?
           where s.tenant_id = ? and s.id = ? returning ${session.sql}`,
    params: [at.created.length, at.now, at.tenantId, at.sessionId],
  });
}

// ---- Stats ---------------------------------------------------------------------------------------

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
