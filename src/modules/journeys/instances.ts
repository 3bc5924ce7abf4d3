import { raw } from '@mikro-orm/core';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { after, decodeCursor, page } from '../../db/pagination.js';
import { AppError, notFound, unprocessable } from '../../errors.js';
import { requireAppointment } from '../appointments/appointments.js';
import { requireActivePatient } from '../patients/lookup.js';
import { requireJourney } from './definitions.js';
import { addStep, definitionOf, enterStage, finish, lockInstance, planTimers, queueActions, stageOf } from './engine.js';
import { alreadyEnrolled, enrol, notPublished } from './enrol.js';
import { instanceStatuses, JourneyInstance, JourneyStep, JourneyVersion, liveStatuses } from './entities.js';
import type { AdvanceInput, EnrolInput, JourneyStatsInput, ListInstancesInput } from './schema.js';
import { instanceView, stepView } from './views.js';

/** Enrols a patient by hand on the journey's published version: 409 with the instance when the patient is on it already. */
export async function enrolPatient(ctx: AppContext, input: z.output<typeof EnrolInput>) {
  const journey = await requireJourney(ctx, input.id);
  if (!journey.publishedVersionId) throw notPublished(journey);
  await requireActivePatient(ctx, input.patientId);
  if (input.appointmentId) {
    const appointment = await requireAppointment(ctx, input.appointmentId);
    if (appointment.patientId !== input.patientId) throw unprocessable(`Appointment ${appointment.id} is another patient’s.`, { field: 'appointmentId' });
  }
  const version = await ctx.em.findOneOrFail(JourneyVersion, { id: journey.publishedVersionId });
  const { instance, created } = await enrol(ctx, { journey, version, patientId: input.patientId, appointmentId: input.appointmentId ?? null });
  if (!created) throw alreadyEnrolled(journey, instance);
  return instanceView(instance);
}

/** The clinic's instance with this id, or 404. */
async function requireInstance(ctx: AppContext, id: string, options: { lock?: boolean } = {}): Promise<JourneyInstance> {
  const instance = options.lock ? await lockInstance(ctx, id) : await ctx.em.findOne(JourneyInstance, { id });
  if (!instance) throw notFound('Journey instance', id);
  return instance;
}

/** An instance with its timeline, oldest first. */
export async function getInstance(ctx: AppContext, id: string) {
  const instance = await requireInstance(ctx, id);
  const steps = await ctx.em.find(JourneyStep, { instanceId: id }, { orderBy: [{ at: 'asc' }, { id: 'asc' }] });
  return { ...instanceView(instance), timeline: steps.map(stepView) };
}

/** Instances, newest enrolment first, filtered by journey, patient, status and stage. */
export async function listInstances(ctx: AppContext, input: z.output<typeof ListInstancesInput>) {
  const rows = await ctx.em.find(
    JourneyInstance,
    {
      ...(input.journeyId ? { journeyId: input.journeyId } : {}),
      ...(input.patientId ? { patientId: input.patientId } : {}),
      ...(input.status ? { status: { $in: input.status } } : {}),
      ...(input.stage ? { currentStage: input.stage } : {}),
      ...after('createdAt', decodeCursor(input.cursor)),
    },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  return page(rows, input.limit, (instance) => ({ at: instance.createdAt, id: instance.id }), instanceView);
}

const refuseStatus = (instance: JourneyInstance, wanted: string) =>
  unprocessable(`Journey instance ${instance.id} is ${instance.status}; ${wanted}.`, { status: instance.status });

/** Pauses an active instance: its timers stop counting for it (a timer due while paused fires on resume). */
export async function pauseInstance(ctx: AppContext, id: string) {
  const instance = await requireInstance(ctx, id, { lock: true });
  if (instance.status !== 'active') throw refuseStatus(instance, 'only an active instance can be paused');
  instance.status = 'paused';
  instance.timerToken += 1;
  instance.updatedAt = ctx.clock.now();
  addStep(ctx, instance, 'paused', `Paused by ${ctx.actor.kind} ${ctx.actor.id}.`);
  return instanceView(instance);
}

/** Resumes a paused instance: its stage's timers are planned again, and actions it had not run yet run. */
export async function resumeInstance(ctx: AppContext, id: string) {
  const instance = await requireInstance(ctx, id, { lock: true });
  if (instance.status !== 'paused') throw refuseStatus(instance, 'only a paused instance can be resumed');
  instance.status = 'active';
  instance.updatedAt = ctx.clock.now();
  addStep(ctx, instance, 'resumed', `Resumed by ${ctx.actor.kind} ${ctx.actor.id}.`);
  const current = instance.stageRuns.at(-1);
  if (current && current.status === 'active' && !current.actionsDoneAt) queueActions(ctx, instance);
  await planTimers(ctx, instance, await definitionOf(ctx, instance), { replan: true });
  return instanceView(instance);
}

/** Cancels an instance under way: nothing more of it runs. */
export async function cancelInstance(ctx: AppContext, id: string) {
  const instance = await requireInstance(ctx, id, { lock: true });
  if (!liveStatuses.includes(instance.status)) throw refuseStatus(instance, 'only an active or paused instance can be cancelled');
  finish(ctx, instance, 'cancelled', `Cancelled by ${ctx.actor.kind} ${ctx.actor.id}.`);
  return instanceView(instance);
}

/** Moves an active instance on by hand: to `to`, or along its stage's first way forward; from a last stage, completes it. */
export async function advanceInstance(ctx: AppContext, input: z.output<typeof AdvanceInput>) {
  const instance = await requireInstance(ctx, input.id, { lock: true });
  if (instance.status !== 'active') throw refuseStatus(instance, 'only an active instance can be advanced');
  const definition = await definitionOf(ctx, instance);
  const stage = stageOf(definition, instance.currentStage);
  const to = input.to ?? stage?.next[0]?.to;
  if (to !== undefined && !stageOf(definition, to)) {
    throw new AppError('unprocessable', `Version ${instance.version} has no stage ${to}.`, { issues: [{ path: 'to', message: `no stage ${to}` }] });
  }
  addStep(ctx, instance, 'advanced', `Moved on by ${ctx.actor.kind} ${ctx.actor.id}${to ? ` to ${to}` : ''}.`, { detail: { to: to ?? null } });
  if (to === undefined) finish(ctx, instance, 'completed', 'Completed by hand from its last stage.');
  else await enterStage(ctx, instance, definition, to, 'left');
  return instanceView(instance);
}

type CountRow = { status: (typeof instanceStatuses)[number]; current_stage: string | null; count: string | number };

/** Instances by stage and status, and the completion rate among ended ones. */
export async function journeyStats(ctx: AppContext, input: z.output<typeof JourneyStatsInput>) {
  const rows = await ctx.em
    .createQueryBuilder(JourneyInstance)
    .select(['status', 'currentStage', raw('count(*)::int as count')])
    .where({ tenantId: ctx.tenant.id, ...(input.journeyId ? { journeyId: input.journeyId } : {}) })
    .groupBy(['status', 'currentStage'])
    .execute<CountRow[]>('all', false);
  const byStatus = Object.fromEntries(instanceStatuses.map((status) => [status, 0])) as Record<(typeof instanceStatuses)[number], number>;
  let total = 0;
  const byStage = rows.map((row) => {
    const count = Number(row.count);
    byStatus[row.status] += count;
    total += count;
    return { stage: row.current_stage, status: row.status, count };
  });
  const ended = byStatus.completed + byStatus.cancelled + byStatus.exited;
  return { total, byStatus, byStage, completionRate: ended === 0 ? null : byStatus.completed / ended };
}
