import { toIso, toIsoOrNull } from '../../schema.js';
import type { IntakeRecord, IntakeSummary } from './entities.js';
import type { SessionRow } from './statements.js';
import type { RecordView } from './record-data.js';
import type { SessionView, SummaryView } from './schema.js';

/** Entity → view mappers of the intake module. */

export const sessionView = (session: SessionRow): SessionView => ({
  id: session.id,
  patientId: session.patientId,
  appointmentId: session.appointmentId ?? null,
  conversationId: session.conversationId ?? null,
  channel: session.channel ?? null,
  status: session.status,
  rev: session.rev,
  recordCount: session.recordCount,
  createdBy: { kind: session.createdByKind, id: session.createdById },
  submittedAt: toIsoOrNull(session.submittedAt),
  reviewedAt: toIsoOrNull(session.reviewedAt),
  reviewedBy: session.reviewedById ?? null,
  createdAt: toIso(session.createdAt),
  updatedAt: toIso(session.updatedAt),
});

export const recordView = (record: IntakeRecord): RecordView =>
  ({
    id: record.id,
    clientItemId: record.clientItemId,
    kind: record.kind,
    data: record.data,
    createdAt: toIso(record.createdAt),
    updatedAt: toIso(record.updatedAt),
  }) as RecordView;

export const summaryView = (summary: IntakeSummary): SummaryView => ({
  sessionId: summary.sessionId,
  state: summary.state,
  source: summary.source ?? null,
  model: summary.model ?? null,
  statements: summary.statements,
  droppedStatements: summary.droppedStatements,
  fallbackReason: summary.fallbackReason ?? null,
  generatedAt: toIsoOrNull(summary.generatedAt),
  editedAt: toIsoOrNull(summary.editedAt),
  editedBy: summary.editedById ?? null,
});
