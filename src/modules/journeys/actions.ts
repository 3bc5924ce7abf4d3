import type { JobHandler } from '../../jobs/worker.js';
import { runOperation, tenantEntityManager } from '../../tools/runner.js';
import { actionInput } from './bindings.js';
import { engineContext, journeyCaller } from './caller.js';
import { addStep, definitionOf, finish, hasStep, lockInstance, stageOf } from './engine.js';
import { JourneyInstance, JourneyStep } from './entities.js';
import type { ActPayload } from './subscriptions.js';

type Result = { index: number; tool: string; ok: boolean; runId: string; replayed: boolean; error?: string; ticketId?: string };

/**
 * Runs a stage's actions, in order, each through the runner as the journey, with an idempotency key of
 * (instance, stage run, action): a job run again after a crash replays what already ran instead of
 * doing it twice. Then, in one transaction, the results go on the timeline (once each) and a last
 * stage completes the instance. An instance that moved on, paused or ended meanwhile runs nothing
 * (resuming queues the actions again).
 */
export const runJourneyActions: JobHandler = async ({ services, tenant, job }) => {
  const { instanceId, run } = job.payload as ActPayload;
  const em = tenantEntityManager(services, tenant.id);
  const instance = await em.findOne(JourneyInstance, { id: instanceId });
  if (!instance || instance.status !== 'active' || instance.stageRun !== run) return;
  const ctx = engineContext(services, tenant, em);
  const definition = await definitionOf(ctx, instance);
  const stage = stageOf(definition, instance.currentStage);
  if (!stage) return;
  // Only a stage whose actions name {{ticketId}} needs the last ticket (a read per action job otherwise).
  let ticketId = JSON.stringify(stage.actions).includes('ticketId') ? await lastTicket(ctx.em, instance.id) : null;
  const results: Result[] = [];
  for (const [index, action] of stage.actions.entries()) {
    const operation = services.registry.get(action.tool);
    const input = operation ? actionInput(operation, action.input, { patientId: instance.patientId, appointmentId: instance.appointmentId ?? null, instanceId: instance.id, ticketId }) : action.input;
    const outcome = await runOperation(services, journeyCaller(tenant, instance.journeyId, definition), {
      tool: action.tool,
      input,
      idempotencyKey: `journey:${instance.id}:${run}:${index}`,
    });
    const createdTicket = outcome.ok && action.tool === 'create_ticket' ? (outcome.output as { id: string }).id : undefined;
    if (createdTicket) ticketId = createdTicket;
    results.push(
      outcome.ok
        ? { index, tool: action.tool, ok: true, runId: outcome.runId, replayed: outcome.replayed, ...(createdTicket ? { ticketId: createdTicket } : {}) }
        : { index, tool: action.tool, ok: false, runId: outcome.runId, replayed: false, error: outcome.error.message },
    );
  }
  await tenantEntityManager(services, tenant.id).transactional(async (transaction) => {
    const inTransaction = engineContext(services, tenant, transaction);
    const locked = await lockInstance(inTransaction, instanceId);
    if (!locked) return;
    for (const result of results) {
      const dedupeKey = `action:${run}:${result.index}`;
      if (await hasStep(inTransaction, locked.id, dedupeKey)) continue;
      const { runId, index, ...detail } = result;
      addStep(inTransaction, locked, 'action', result.ok ? `${result.tool} ran.` : `${result.tool} failed: ${result.error}`, { stage: stage.key, toolRunId: runId, dedupeKey, detail: { action: index, ...detail } });
    }
    if (locked.status !== 'active' || locked.stageRun !== run) return;
    const now = inTransaction.clock.now().toISOString();
    locked.stageRuns = locked.stageRuns.map((entry) => (entry.run === run ? { ...entry, actionsDoneAt: entry.actionsDoneAt ?? now } : entry));
    if (stage.next.length === 0) finish(inTransaction, locked, 'completed', `Completed: ${stage.name} was the last stage.`);
  });
  services.jobs.nudge();
};

/** The last ticket this instance's actions created ({{ticketId}} in a later action). */
async function lastTicket(em: JourneyStepManager, instanceId: string): Promise<string | null> {
  const steps = await em.find(JourneyStep, { instanceId, kind: 'action' }, { orderBy: [{ at: 'desc' }, { id: 'desc' }], limit: 50 });
  const found = steps.find((step) => typeof step.detail.ticketId === 'string');
  return found ? (found.detail.ticketId as string) : null;
}
type JourneyStepManager = ReturnType<typeof tenantEntityManager>;
