import { LockMode } from '@mikro-orm/core';
import type { AppContext } from '../../context.js';
import { newId } from '../../ids.js';
import { recordEvent } from '../../events.js';
import { jobDueAt, jobRow } from '../../jobs/enqueue.js';
import { Job } from '../../jobs/job.js';
import { Appointment } from '../appointments/entities.js';
import { delayMs, type JourneyDefinition, type Stage, type Way } from './definition.js';
import { JourneyInstance, JourneyStep, type StepKind } from './entities.js';
import { publishedDefinitions } from './published.js';
import { ACT_JOB, TIMER_JOB, type ActPayload, type TimerPayload } from './subscriptions.js';

/**
 * How an instance moves, inside the caller's transaction (the instance row locked by the caller):
 * entering a stage queues its actions and plans its timers, ending closes it. Every change is a
 * timeline row.
 */

export type StepFields = { stage?: string | null; detail?: Record<string, unknown>; toolRunId?: string | null; eventId?: string | null; dedupeKey?: string | null };

/** Appends a row to the instance's timeline. */
export function addStep(ctx: AppContext, instance: JourneyInstance, kind: StepKind, summary: string, fields: StepFields = {}): JourneyStep {
  const now = ctx.clock.now();
  return ctx.em.create(JourneyStep, {
    id: newId(),
    tenantId: ctx.tenant.id,
    instanceId: instance.id,
    kind,
    stage: fields.stage === undefined ? instance.currentStage : fields.stage,
    summary,
    detail: fields.detail ?? {},
    toolRunId: fields.toolRunId ?? null,
    eventId: fields.eventId ?? null,
    dedupeKey: fields.dedupeKey ?? null,
    at: now,
    createdAt: now,
    updatedAt: now,
  });
}

/** Whether the instance's timeline already has the row of this key (an event applied, an action recorded). */
export async function hasStep(ctx: AppContext, instanceId: string, dedupeKey: string): Promise<boolean> {
  return (await ctx.em.count(JourneyStep, { instanceId, dedupeKey })) > 0;
}

/** The instance, locked until the transaction ends. */
export async function lockInstance(ctx: AppContext, id: string): Promise<JourneyInstance | null> {
  return ctx.em.findOne(JourneyInstance, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
}

/** The definition the instance runs (its version's, published, which never changes: read once per process). */
export async function definitionOf(ctx: AppContext, instance: Pick<JourneyInstance, 'versionId'>): Promise<JourneyDefinition> {
  const definition = (await publishedDefinitions(ctx, [instance.versionId])).get(instance.versionId);
  if (!definition) throw new Error(`Journey version ${instance.versionId} is not published`);
  return definition;
}

export const stageOf = (definition: JourneyDefinition, key: string | null | undefined): Stage | undefined => definition.stages.find((stage) => stage.key === key);

/** Closes the current stage run: `done` when it moved on by its own ways, `left` when moved by hand or ended early. */
function closeRun(ctx: AppContext, instance: JourneyInstance, status: 'done' | 'left'): void {
  const now = ctx.clock.now().toISOString();
  instance.stageRuns = instance.stageRuns.map((run) => (run.status === 'active' ? { ...run, status, endedAt: now } : run));
}

/** Moves the instance into `key`: its actions are queued, its timers planned; a last stage without actions completes it. */
export async function enterStage(ctx: AppContext, instance: JourneyInstance, definition: JourneyDefinition, key: string, how: 'done' | 'left' = 'done'): Promise<void> {
  const stage = stageOf(definition, key);
  if (!stage) throw new Error(`Journey stage ${key} is not in the instance's version`);
  const now = ctx.clock.now();
  closeRun(ctx, instance, how);
  instance.currentStage = key;
  instance.stageStartedAt = now;
  instance.stageRun += 1;
  instance.timerToken += 1;
  instance.updatedAt = now;
  const noActions = stage.actions.length === 0;
  instance.stageRuns = [...instance.stageRuns, { stage: key, run: instance.stageRun, status: 'active', startedAt: now.toISOString(), endedAt: null, actionsDoneAt: noActions ? now.toISOString() : null }];
  addStep(ctx, instance, 'stage_entered', `Entered ${stage.name}.`, { stage: key, detail: { run: instance.stageRun } });
  if (!noActions) queueActions(ctx, instance);
  else if (stage.next.length === 0) return finish(ctx, instance, 'completed', 'The last stage was reached.');
  await planTimers(ctx, instance, definition);
}

/** Queues the current stage's actions (run after the commit, through the runner). */
export function queueActions(ctx: AppContext, instance: JourneyInstance): void {
  const payload: ActPayload = { instanceId: instance.id, run: instance.stageRun };
  ctx.em.create(Job, jobRow({ tenantId: ctx.tenant.id, kind: ACT_JOB, payload, serialKey: `journey:${instance.id}`, maxAttempts: 8 }, new Date()));
}

/** When a way's delay is up for the instance; null when it counts from an appointment the instance has not (or that was cancelled). */
export async function dueAt(ctx: AppContext, instance: JourneyInstance, way: Way): Promise<Date | null> {
  if (!way.after) return null;
  const ms = delayMs(way.after.delay);
  if (way.after.from === 'enrolment') return new Date(instance.enrolledAt.getTime() + ms);
  if (way.after.from === 'stage') return new Date((instance.stageStartedAt ?? instance.enrolledAt).getTime() + ms);
  if (!instance.appointmentId) return null;
  const appointment = await ctx.em.findOne(Appointment, { id: instance.appointmentId });
  if (!appointment || appointment.status === 'cancelled') return null;
  return new Date(appointment.startAt.getTime() + ms);
}

/**
 * Plans a timer job per delayed way of the current stage, carrying the instance's token: a new token
 * (`replan`) makes every timer planned before it do nothing when it fires.
 */
export async function planTimers(ctx: AppContext, instance: JourneyInstance, definition: JourneyDefinition, options: { replan?: boolean } = {}): Promise<void> {
  if (options.replan) instance.timerToken += 1;
  const stage = stageOf(definition, instance.currentStage);
  if (!stage) return;
  for (const [index, way] of stage.next.entries()) {
    if (!way.after) continue;
    const due = await dueAt(ctx, instance, way);
    if (!due) {
      addStep(ctx, instance, 'note', `No timer to ${way.to}: it counts from an appointment the instance does not have.`, { detail: { way: index } });
      continue;
    }
    const payload: TimerPayload = { instanceId: instance.id, token: instance.timerToken, stage: stage.key, way: index, dueAt: due.toISOString() };
    const row = jobRow({ tenantId: ctx.tenant.id, kind: TIMER_JOB, payload, maxAttempts: 10 }, new Date());
    ctx.em.create(Job, { ...row, runAt: jobDueAt(ctx.clock, due) });
  }
}

/** Ends the instance: completed, cancelled by staff, or exited by an event. Its timers go stale. */
export function finish(ctx: AppContext, instance: JourneyInstance, status: 'completed' | 'cancelled' | 'exited', reason: string, fields: StepFields = {}): void {
  const now = ctx.clock.now();
  closeRun(ctx, instance, status === 'completed' ? 'done' : 'left');
  instance.status = status;
  instance.endedAt = now;
  instance.endReason = reason;
  instance.timerToken += 1;
  instance.updatedAt = now;
  addStep(ctx, instance, status, reason, fields);
  recordEvent(ctx, {
    type: status === 'completed' ? 'journey.completed' : 'journey.ended',
    entityType: 'journey_instance',
    entityId: instance.id,
    payload: { journeyId: instance.journeyId, patientId: instance.patientId, status, stage: instance.currentStage },
  });
}
