import type { AppContext } from '../../context.js';
import { newId } from '../../ids.js';
import { conflict, unprocessable } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { lockUntilCommit } from '../../db/locks.js';
import type { JourneyDefinition } from './definition.js';
import { addStep, enterStage } from './engine.js';
import { JourneyInstance, liveStatuses, type Journey, type JourneyVersion } from './entities.js';
import { instanceView } from './views.js';

export type Enrolment = { journey: Journey; version: Pick<JourneyVersion, 'id' | 'version' | 'definition'>; patientId: string; appointmentId: string | null; eventId?: string };
export type Enrolled = { instance: JourneyInstance; created: boolean };

/**
 * Enrols the patient on the journey's published version and starts its first stage, unless the patient
 * has an instance of it under way (returned, `created: false`), or had one and the journey does not
 * take patients again. One enrolment of a patient on a journey at a time (a lock until commit), and a
 * partial unique index besides: concurrent enrolments make one instance.
 */
export async function enrol(ctx: AppContext, enrolment: Enrolment): Promise<Enrolled> {
  const { journey, version, patientId } = enrolment;
  await lockUntilCommit(ctx.em, `journey-enrol:${journey.id}:${patientId}`);
  const live = await ctx.em.findOne(JourneyInstance, { journeyId: journey.id, patientId, status: { $in: [...liveStatuses] } });
  if (live) return { instance: live, created: false };
  const definition: JourneyDefinition = version.definition;
  if (!definition.reenrol && (await ctx.em.count(JourneyInstance, { journeyId: journey.id, patientId })) > 0) {
    throw conflict(`The patient was on journey ${journey.name} before, and it does not enrol patients again (reenrol: false).`, { reenrol: false });
  }
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
  return { instance, created: true };
}

/** The 409 of enrolling a patient who is on the journey already: with the instance under way. */
export const alreadyEnrolled = (journey: Journey, instance: JourneyInstance) =>
  conflict(`The patient is on journey ${journey.name} already (instance ${instance.id}, ${instance.status}).`, { instance: instanceView(instance) });

export const notPublished = (journey: Journey) => unprocessable(`Journey ${journey.name} has no published version: publish it first.`, { latestVersion: journey.latestVersion });
