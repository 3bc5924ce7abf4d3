import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { AppError, type FieldIssue } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { IntakeRecord, IntakeSummary } from './entities.js';
import type { SessionSummary, UpdateSummaryInput } from './schema.js';
import { requireRev, requireSession, requireStatus, touchSession } from './session-lookup.js';
import { summaryView } from './views.js';

/**
 * Replaces a submitted session's summary with the staff member's statements. Each may cite records,
 * and those must be the session's (else 422 naming the statement); a staff statement may also cite
 * none: the reviewer answers for it. Once reviewed, the summary is final.
 */
export async function updateSummary(ctx: AppContext, input: z.output<typeof UpdateSummaryInput>): Promise<z.input<typeof SessionSummary>> {
  const session = await requireSession(ctx, input.id, { lock: true });
  requireStatus(session, ['submitted'], 'have its summary edited');
  requireRev(session, input.rev);
  const records = new Set((await ctx.em.find(IntakeRecord, { sessionId: session.id }, { fields: ['id'] })).map((record) => record.id));
  const issues: FieldIssue[] = input.statements.flatMap((statement, index) =>
    statement.recordIds.filter((id) => !records.has(id)).map((id) => ({ path: `statements.${index}.recordIds`, message: `${id} is not a record of this session` })),
  );
  if (issues.length > 0) throw new AppError('unprocessable', `Statements cite records this session does not have: ${issues.map((issue) => issue.path).join(', ')}.`, { issues });
  const summary = await ctx.em.findOneOrFail(IntakeSummary, { sessionId: session.id });
  const now = ctx.clock.now();
  summary.statements = input.statements.map((statement) => ({ text: statement.text, recordIds: [...new Set(statement.recordIds)] }));
  summary.state = 'edited';
  summary.editedAt = now;
  summary.editedById = ctx.actor.id;
  summary.updatedAt = now;
  touchSession(ctx, session);
  recordEvent(ctx, { type: 'intake.summary_edited', entityType: 'intake_session', entityId: session.id, payload: { statementCount: summary.statements.length, rev: session.rev } });
  return { ...summaryView(summary), sessionRev: session.rev };
}
