import { RetryAfter, type JobHandler } from '../../jobs/worker.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { engineContext } from './caller.js';
import { addStep, definitionOf, enterStage, lockInstance, stageOf } from './engine.js';
import type { TimerPayload } from './subscriptions.js';

/**
 * A way's delay is up: the instance moves on, if it is still where the timer was planned for. A
 * timer whose token is stale (the instance moved on, paused, ended, or its appointment moved and the
 * timers were planned again) does nothing.
 */
export const fireJourneyTimer: JobHandler = async ({ services, tenant, job }) => {
  const timer = job.payload as TimerPayload;
  const wait = new Date(timer.dueAt).getTime() - services.clock.now().getTime();
  await tenantEntityManager(services, tenant.id).transactional(async (em) => {
    const ctx = engineContext(services, tenant, em);
    const instance = await lockInstance(ctx, timer.instanceId);
    if (!instance || instance.status !== 'active' || instance.timerToken !== timer.token || instance.currentStage !== timer.stage) return;
    // Jobs run by the database's clock; the service's may lag it (a pinned clock): not yet due by it.
    if (wait > 0) throw new RetryAfter(`journey timer due in ${wait} ms`, wait);
    const definition = await definitionOf(ctx, instance);
    const way = stageOf(definition, timer.stage)?.next[timer.way];
    if (!way) return;
    addStep(ctx, instance, 'timer', `${way.after?.delay} from the ${way.after?.from} passed: on to ${way.to}.`, { dedupeKey: `timer:${timer.token}:${timer.way}`, detail: { way: timer.way, dueAt: timer.dueAt } });
    await enterStage(ctx, instance, definition, way.to);
  });
  services.jobs.nudge();
};
