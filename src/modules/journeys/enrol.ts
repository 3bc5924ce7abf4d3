import type { AppContext } from '../../context.js';
import { newId } from '../../ids.js';
import { conflict, unprocessable, type AppError } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { lockUntilCommit } from '../../db/locks.js';
import type { JourneyDefinition } from './definition.js';
import { addStep, enterStage } from './engine.js';
import { JourneyInstance, liveStatuses, type Journey, type JourneyVersion } from './entities.js';
import { instanceView } from './views.js';

export type Enrolment = { journey: Pick<Journey, 'id' | 'name'>; version: Pick<JourneyVersion, 'id' | 'version' | 'definition'>; patientId: string; appointmentId: string | null; eventId?: string };
/** A new instance (`created`), the one under way (`created: false`), or why the journey takes the patient no more. */
export type Enrolled = { instance: JourneyInstance; created: boolean } | { refused: AppError };

const lockName = (journeyId: string, patientId: string) => `journey-enrol:${journeyId}:${patientId}`;

/**
 * Enrols each patient on each journey's published version and starts its first stage, unless the
 * patient has an instance of it under way (returned, `created: false`), or had one and the journey
 * does not take patients again (`refused`). One enrolment of a patient on a journey at a time (a lock
 * until commit), and a partial unique index besides: concurrent enrolments make one instance. However
 * many enrolments, it takes their locks in one statement and reads the instances they depend on in
 * one query: an event that enrols a patient on 50 journeys costs two round trips, then one flush.
 */
export async function enrolAll(ctx: AppContext, enrolments: readonly Enrolment[]): Promise<Enrolled[]> {
  if (enrolments.length === 0) return [];
  await lockUntilCommit(ctx.em, ...enrolments.map(({ journey, patientId }) => lockName(journey.id, patientId)));
  const once = enrolments.filter(({ version }) => !version.definition.reenrol).map(({ journey }) => journey.id);
  const earlier = await ctx.em.find(JourneyInstance, {
    journeyId: { $in: enrolments.map(({ journey }) => journey.id) },
    patientId: { $in: [...new Set(enrolments.map(({ patientId }) => patientId))] },
    $or: [{ status: { $in: [...liveStatuses] } }, { journeyId: { $in: once } }],
  });
  const results: Enrolled[] = [];
  for (const enrolment of enrolments) {
    const { journey, patientId } = enrolment;
    const own = earlier.filter((instance) => instance.journeyId === journey.id && instance.patientId === patientId);
    const live = own.find((instance) => liveStatuses.includes(instance.status));
    if (live) results.push({ instance: live, created: false });
    else if (own.length > 0 && !enrolment.version.definition.reenrol) {
      results.push({ refused: conflict(`The patient was on journey ${journey.name} before, and it does not enrol patients again (reenrol: false).`, { reenrol: false }) });
    } else results.push({ instance: await start(ctx, enrolment), created: true });
  }
  return results;
}

/** One enrolment (`enrolAll` of one): the refusal of a journey that takes the patient no more thrown as its 409. */
export async function enrol(ctx: AppContext, enrolment: Enrolment): Promise<{ instance: JourneyInstance; created: boolean }> {
  const [enrolled] = await enrolAll(ctx, [enrolment]);
  if ('refused' in enrolled) throw enrolled.refused;
  return enrolled;
}

/** The new instance, enrolled and in its first stage (the caller holds its lock and checked for others). */
async function start(ctx: AppContext, enrolment: Enrolment): Promise<JourneyInstance> {
  const { journey, version, patientId } = enrolment;
  const definition: JourneyDefinition = version.definition;
  const now = ctx.clock.now();
  const instance = ctx.em.create(JourneyInstance, {
    id: newId(),
    tenantId: ctx.tenant.id,
    journeyId: journey.id,
    versionId: version.id,
    version: version.version,
    patientId,
    appointmentId: enrolment.appointmentId,
    status: 'active',
    currentStage: null,
    stageStartedAt: null,
    stageRun: 0,
    timerToken: 0,
    stageRuns: [],
    enrolledAt: now,
    enrolEventId: enrolment.eventId ?? null,
    endedAt: null,
    endReason: null,
    createdAt: now,
    updatedAt: now,
  });
  const by = enrolment.eventId ? 'the trigger event' : `${ctx.actor.kind} ${ctx.actor.id}`;
  addStep(ctx, instance, 'enrolled', `Enrolled on ${journey.name} v${version.version} by ${by}.`, {
    stage: null,
    eventId: enrolment.eventId ?? null,
    dedupeKey: enrolment.eventId ? `event:${enrolment.eventId}` : null,
    detail: { by: { kind: ctx.actor.kind, id: ctx.actor.id } },
  });
  recordEvent(ctx, { type: 'journey.enrolled', entityType: 'journey_instance', entityId: instance.id, payload: { journeyId: journey.id, patientId, version: version.version } });
  await enterStage(ctx, instance, definition, definition.stages[0].key);
  return instance;
}

/** The 409 of enrolling a patient who is on the journey already: with the instance under way. */
export const alreadyEnrolled = (journey: Pick<Journey, 'name'>, instance: JourneyInstance) =>
  conflict(`The patient is on journey ${journey.name} already (instance ${instance.id}, ${instance.status}).`, { instance: instanceView(instance) });

export const notPublished = (journey: Journey) => unprocessable(`Journey ${journey.name} has no published version: publish it first.`, { latestVersion: journey.latestVersion });
