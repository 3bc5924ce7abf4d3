import type { MetadataStorage } from '@mikro-orm/core';
import { entityColumns, entityJson, perOrm } from '../../db/columns.js';
import { insertRows, oneStatement, type Statement } from '../../db/statement.js';
import { DomainEvent, eventRows, type NewEvent } from '../../events.js';
import { Job } from '../../jobs/job.js';
import { IntakeRecord, IntakeSession } from './entities.js';

/**
 * An upsert of records in two statements (the bench holds it to a p95 of 50 ms for 50 records): the
 * session, locked, with its records of the batch's clientItemIds; then every write in one statement.
 * Select lists and inserts come from the entities' metadata; the tenant is in every `where`.
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
