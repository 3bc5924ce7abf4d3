import { DateTime } from 'luxon';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { AppError, invalidFields, notFound, type FieldIssue } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { stableJson } from '../../tools/stable-json.js';
import { IntakeRecord } from './entities.js';
import { lockSessionWithRecords, readSession, readStored, writeUpsert, type StoredRecord } from './statements.js';
import type { RecordInput } from './record-data.js';
import { MAX_RECORDS_PER_SESSION, type DeleteRecordInput, type UpsertRecordsInput } from './schema.js';
import { requireOwned, requireRev, requireSession, requireStatus, touchSession } from './session-lookup.js';
import { sessionView } from './views.js';

type Outcome = 'created' | 'updated' | 'unchanged';

/**
 * Dates the patient gives about the past that lie ahead of today in the clinic: a symptom's onset, the
 * year a condition was diagnosed. Each names the record by index and clientItemId.
 */
function futureDateIssues(ctx: AppContext, records: readonly RecordInput[]): FieldIssue[] {
  const today = DateTime.fromJSDate(ctx.clock.now(), { zone: ctx.tenant.timeZone });
  const todayText = today.toISODate() ?? '';
  const issues: FieldIssue[] = [];
  records.forEach((record, index) => {
    const at = (field: string, message: string) => issues.push({ path: `records.${index}.data.${field}`, message: `record "${record.clientItemId}": ${message}` });
    if (record.kind === 'symptom' && record.data.onsetDate && record.data.onsetDate > todayText) {
      at('onsetDate', `the onset date ${record.data.onsetDate} is after today (${todayText}) in the clinic`);
    }
    if (record.kind === 'condition' && record.data.diagnosedYear !== undefined && record.data.diagnosedYear > today.year) {
      at('diagnosedYear', `the year ${record.data.diagnosedYear} is after this year (${today.year})`);
    }
  });
  return issues;
}

const sameContent = (stored: StoredRecord, sent: RecordInput) => stored.kind === sent.kind && stableJson(stored.data) === stableJson(sent.data);

/**
 * Creates or replaces a batch of records in one transaction, each found by its clientItemId. A batch
 * already stored as sent changes nothing (no write, same rev), whatever `rev` says: a resend is safe.
 * Otherwise a `rev` other than the session's is a 409, and a session past its limit a 422. Two
 * statements of the typed store (statements.ts): the locked session with the batch's stored
 * records, then every write.
 */
export async function upsertRecords(ctx: AppContext, input: z.output<typeof UpsertRecordsInput>) {
  const orm = ctx.services.orm;
  const [row] = await ctx.sql.query(
    lockSessionWithRecords(orm, { tenantId: ctx.tenant.id, sessionId: input.id, clientItemIds: input.records.map((record) => record.clientItemId) }),
  );
  const session = requireOwned(row && readSession(orm, row), input.id, input.patientId);
  requireStatus(session, ['open'], 'take records');
  const dateIssues = futureDateIssues(ctx, input.records);
  if (dateIssues.length > 0) throw invalidFields(dateIssues);

  const byItem = new Map(readStored(orm, row).map((record) => [record.clientItemId, record]));
  const plan = input.records.map((sent) => {
    const found = byItem.get(sent.clientItemId);
    const outcome: Outcome = !found ? 'created' : sameContent(found, sent) ? 'unchanged' : 'updated';
    return { sent, outcome, id: found?.id ?? newId() };
  });
  const results = plan.map(({ sent, id, outcome }) => ({ clientItemId: sent.clientItemId, id, outcome }));
  const created = plan.filter((item) => item.outcome === 'created');
  const updated = plan.filter((item) => item.outcome === 'updated');
  if (created.length + updated.length === 0) return { session: sessionView(session), changed: false, records: results };
  requireRev(session, input.rev);
  if (session.recordCount + created.length > MAX_RECORDS_PER_SESSION) {
    const message = `A session holds at most ${MAX_RECORDS_PER_SESSION} records; it has ${session.recordCount} and this batch adds ${created.length}.`;
    throw new AppError('unprocessable', message, { issues: [{ path: 'records', message }], details: { limit: MAX_RECORDS_PER_SESSION, recordCount: session.recordCount } });
  }

  const now = ctx.clock.now();
  const [written] = await ctx.sql.query(
    writeUpsert(orm, {
      tenantId: ctx.tenant.id,
      sessionId: session.id,
      now,
      created: created.map(({ sent, id }) => ({ id, tenantId: ctx.tenant.id, sessionId: session.id, clientItemId: sent.clientItemId, kind: sent.kind, data: sent.data, createdAt: now, updatedAt: now })),
      updated: updated.map(({ sent, id }) => ({ id, kind: sent.kind, data: sent.data })),
      event: { type: 'intake.records_upserted', entityType: 'intake_session', entityId: session.id, payload: { created: created.length, updated: updated.length, rev: session.rev + 1 } },
    }),
  );
  return { session: sessionView(readSession(orm, written)), changed: true, records: results };
}

/** Deletes one record of an open session. */
export async function deleteRecord(ctx: AppContext, input: z.output<typeof DeleteRecordInput>) {
  const session = await requireSession(ctx, input.id, { patientId: input.patientId, lock: true });
  requireStatus(session, ['open'], 'change records');
  const record = await ctx.em.findOne(IntakeRecord, { id: input.recordId, sessionId: session.id });
  if (!record) throw notFound('Intake record', input.recordId);
  requireRev(session, input.rev);
  ctx.em.remove(record);
  session.recordCount -= 1;
  touchSession(ctx, session);
  recordEvent(ctx, { type: 'intake.record_deleted', entityType: 'intake_session', entityId: session.id, payload: { recordId: record.id, kind: record.kind, rev: session.rev } });
  return { session: sessionView(session), deletedRecordId: record.id };
}
