import { LockMode } from '@mikro-orm/core';
import type { AppContext } from '../../context.js';
import { conflict, notFound, unprocessable } from '../../errors.js';
import { IntakeSession, type IntakeStatus } from './entities.js';

/**
 * The session found, unless there is none or, with `patientId` (always set in a patient conversation),
 * it is another patient's: that is reported as not found too, so its existence does not leak.
 */
export function requireOwned<Session extends Pick<IntakeSession, 'patientId'>>(session: Session | null | undefined, id: string, patientId: string | undefined): Session {
  if (!session || (patientId !== undefined && session.patientId !== patientId)) throw notFound('Intake session', id);
  return session;
}

/**
 * The clinic's intake session (see `requireOwned`). `lock` (inside a write) holds its row until the
 * commit, so changes of one session run one after another and each sees the rev the one before left.
 */
export async function requireSession(ctx: AppContext, id: string, options: { patientId?: string; lock?: boolean } = {}): Promise<IntakeSession> {
  return requireOwned(await ctx.em.findOne(IntakeSession, { id }, options.lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {}), id, options.patientId);
}

const readOnlyReason: Record<IntakeStatus, string> = {
  open: 'it is open',
  submitted: 'it was submitted and is read-only',
  reviewed: 'it was reviewed and is read-only',
};

/** 422 unless the session is in one of `allowed`; `action` says what was refused ("take records"). */
export function requireStatus(session: Pick<IntakeSession, 'id' | 'status'>, allowed: readonly IntakeStatus[], action: string): void {
  if (allowed.includes(session.status)) return;
  throw unprocessable(`Intake session ${session.id} cannot ${action}: ${readOnlyReason[session.status]}.`, { status: session.status, allowed });
}

/** 409 when the caller read the session at another rev than it has now. */
export function requireRev(session: Pick<IntakeSession, 'id' | 'rev'>, rev: number | undefined): void {
  if (rev === undefined || rev === session.rev) return;
  throw conflict(`Intake session ${session.id} is at rev ${session.rev}, not ${rev}: it changed since you read it. Read it again and retry.`, { rev: session.rev });
}

/** Marks a change of the session: the next rev. */
export function touchSession(ctx: AppContext, session: IntakeSession): void {
  session.rev += 1;
  session.updatedAt = ctx.clock.now();
}
