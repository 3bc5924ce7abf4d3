import { createContext, type Caller, type Services, type TenantInfo } from '../../context.js';
import { recordEvent } from '../../events.js';
import type { JobHandler } from '../../jobs/worker.js';
import { errorSummary, type Logger } from '../../log.js';
import { storableText } from '../../tools/input-text.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { IntakeRecord, IntakeSummary, type SummarySource, type SummaryStatement } from './entities.js';
import { modelStatements } from './model-summary.js';
import { keepCited, summarizeRecords } from './records-summary.js';
import { requireSession, touchSession } from './session-lookup.js';
import type { SummarizePayload } from './subscriptions.js';

type Written = { source: SummarySource; model: string | null; statements: SummaryStatement[]; droppedStatements: number; fallbackReason: string | null };

const systemCaller = (tenant: TenantInfo): Caller => ({ tenant, actor: { kind: 'system', id: 'intake-summary', role: 'system' }, channel: 'system' });

/**
 * The summary of the records: the model's, with every statement that cites no record of the session
 * dropped, when a model is configured and leaves at least one statement; else one built from the
 * records (and why, when a model was there).
 */
async function composeSummary(services: Services, records: readonly IntakeRecord[], log: Logger): Promise<Written> {
  const fromRecords = (fallbackReason: string | null): Written => ({ source: 'records', model: null, statements: summarizeRecords(records), droppedStatements: 0, fallbackReason });
  const agent = services.agentModel;
  if (!agent) return fromRecords(null);
  try {
    const { kept, dropped } = keepCited(await modelStatements(agent, records), new Set(records.map((record) => record.id)));
    if (kept.length === 0) return { ...fromRecords(`none of the model’s ${dropped} statements cited a record of the session`), model: agent.id, droppedStatements: dropped };
    return { source: 'model', model: agent.id, statements: kept, droppedStatements: dropped, fallbackReason: null };
  } catch (error) {
    log.warn({ err: error }, 'the model could not summarize an intake; summarized from the records');
    return { ...fromRecords(storableText(`the model failed: ${errorSummary(error)}`)), model: agent.id };
  }
}

/**
 * The `intake.summarize` job of a submitted session: composes its summary outside any transaction
 * (a model call may take seconds), then writes it, unless staff edited it meanwhile, as the session's
 * next rev with `intake.summary_written`.
 */
export const summarizeIntake: JobHandler = async ({ services, tenant, job, log }) => {
  const { entityId: sessionId } = job.payload as SummarizePayload;
  const em = tenantEntityManager(services, tenant.id);
  if (!(await em.findOne(IntakeSummary, { sessionId, state: 'pending' }))) return;
  // A submitted session is read-only: these are the records the summary is of.
  const records = await em.find(IntakeRecord, { sessionId }, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  const written = await composeSummary(services, records, log);
  await tenantEntityManager(services, tenant.id).transactional(async (transaction) => {
    const ctx = createContext(services, systemCaller(tenant), transaction);
    const session = await requireSession(ctx, sessionId, { lock: true });
    const summary = await transaction.findOne(IntakeSummary, { sessionId, state: 'pending' });
    if (!summary) return;
    const now = ctx.clock.now();
    Object.assign(summary, { ...written, state: 'written', generatedAt: now, updatedAt: now });
    touchSession(ctx, session);
    recordEvent(ctx, {
      type: 'intake.summary_written',
      entityType: 'intake_session',
      entityId: session.id,
      payload: { source: written.source, statementCount: written.statements.length, droppedStatements: written.droppedStatements, rev: session.rev },
    });
  });
};
