import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { unprocessable } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { IntakeRecord, IntakeSummary, type RecordKind } from './entities.js';
import type { SessionChangeInput, SessionView, SubmitSessionInput } from './schema.js';
import { requireRev, requireSession, requireStatus, touchSession } from './session-lookup.js';
import { sessionView } from './views.js';

/** What a submitted intake must have answered: a kind, or a pair of "some" and "none" kinds. */
const requiredAnswers: { topic: string; some: RecordKind; none?: RecordKind }[] = [
  { topic: 'chief_complaint', some: 'chief_complaint' },
  { topic: 'allergies', some: 'allergy', none: 'no_known_allergies' },
  { topic: 'medications', some: 'medication', none: 'no_medications' },
];

/** The topics not answered, and those answered both "none" and with entries. */
function answerProblems(kinds: ReadonlySet<RecordKind>): { missing: string[]; conflicting: string[] } {
  const missing = requiredAnswers.filter(({ some, none }) => !kinds.has(some) && !(none && kinds.has(none))).map(({ topic }) => topic);
  const conflicting = requiredAnswers.filter(({ some, none }) => none && kinds.has(some) && kinds.has(none)).map(({ topic }) => topic);
  return { missing, conflicting };
}

/**
 * Submits an open session: it needs a chief complaint and an explicit answer on allergies and on
 * medications (entries, or `no_known_allergies` / `no_medications`, not both); else 422 listing what
 * is missing or contradicts itself. The session becomes read-only, its summary pending, and
 * `intake.submitted` starts the job that writes the summary.
 */
export async function submitSession(ctx: AppContext, input: z.output<typeof SubmitSessionInput>): Promise<SessionView> {
  const session = await requireSession(ctx, input.id, { patientId: input.patientId, lock: true });
  requireStatus(session, ['open'], 'be submitted');
  requireRev(session, input.rev);
  const records = await ctx.em.find(IntakeRecord, { sessionId: session.id }, { fields: ['kind'] });
  const { missing, conflicting } = answerProblems(new Set(records.map((record) => record.kind)));
  if (missing.length > 0 || conflicting.length > 0) {
    const parts = [...(missing.length > 0 ? [`missing: ${missing.join(', ')}`] : []), ...(conflicting.length > 0 ? [`both none and entries: ${conflicting.join(', ')}`] : [])];
    throw unprocessable(`Intake session ${session.id} cannot be submitted yet (${parts.join('; ')}).`, { missing, conflicting });
  }
  const now = ctx.clock.now();
  session.status = 'submitted';
  session.submittedAt = now;
  touchSession(ctx, session);
  ctx.em.create(IntakeSummary, {
    id: newId(),
    tenantId: ctx.tenant.id,
    sessionId: session.id,
    state: 'pending',
    source: null,
    model: null,
    statements: [],
    droppedStatements: 0,
    fallbackReason: null,
    generatedAt: null,
    editedAt: null,
    editedById: null,
    createdAt: now,
    updatedAt: now,
  });
  recordEvent(ctx, {
    type: 'intake.submitted',
    entityType: 'intake_session',
    entityId: session.id,
    payload: { patientId: session.patientId, ...(session.appointmentId ? { appointmentId: session.appointmentId } : {}), recordCount: session.recordCount, rev: session.rev },
  });
  return sessionView(session);
}

/** Marks a submitted session reviewed by the calling staff member, once its summary is written. */
export async function reviewSession(ctx: AppContext, input: z.output<typeof SessionChangeInput>): Promise<SessionView> {
  const session = await requireSession(ctx, input.id, { lock: true });
  requireStatus(session, ['submitted'], 'be marked reviewed');
  requireRev(session, input.rev);
  const summary = await ctx.em.findOneOrFail(IntakeSummary, { sessionId: session.id });
  if (summary.state === 'pending') {
    throw unprocessable(`The summary of intake session ${session.id} is still being written: review it once it is there.`, { summaryState: summary.state });
  }
  const now = ctx.clock.now();
  session.status = 'reviewed';
  session.reviewedAt = now;
  session.reviewedById = ctx.actor.id;
  touchSession(ctx, session);
  recordEvent(ctx, { type: 'intake.reviewed', entityType: 'intake_session', entityId: session.id, payload: { patientId: session.patientId, rev: session.rev } });
  return sessionView(session);
}
