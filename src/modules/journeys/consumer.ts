import { LockMode } from '@mikro-orm/core';
import type { AppContext } from '../../context.js';
import type { JobHandler } from '../../jobs/worker.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { engineContext } from './caller.js';
import type { JourneyDefinition } from './definition.js';
import { enrolAll } from './enrol.js';
import { addStep, enterStage, finish, hasStep, planTimers, stageOf } from './engine.js';
import { JourneyInstance, liveStatuses } from './entities.js';
import { eventFacts, matches, type EventFacts } from './facts.js';
import { publishedDefinitions } from './published.js';
import { journeysTriggeredBy, readTriggeredJourney } from './statements.js';
import type { ApplyPayload } from './subscriptions.js';

/**
 * Applies one event from the outbox to the clinic's journeys, in one transaction, after the commit
 * that recorded it: published journeys it triggers enrol its patient; the patient's instances under
 * way exit on an exit event, re-plan their timers when their appointment moved, and move on along a
 * way the event opens. Each event is applied to an instance once (a timeline row keyed by the event):
 * a doubled event is one transition.
 */
export const applyEventToJourneys: JobHandler = async ({ services, tenant, job }) => {
  const event = job.payload as ApplyPayload;
  await tenantEntityManager(services, tenant.id).transactional(async (em) => {
    const ctx = engineContext(services, tenant, em);
    const facts = await eventFacts(ctx, event);
    if (!facts.patientId) return;
    const patients = [facts.patientId, ...(event.type === 'patient.merged' && typeof event.payload.sourcePatientId === 'string' ? [event.payload.sourcePatientId] : [])];
    const enrolled = await enrolByTrigger(ctx, event, facts);
    // Those this event enrolled just now have its event in their timeline already.
    const instances = await em.find(JourneyInstance, { patientId: { $in: patients }, status: { $in: [...liveStatuses] }, ...(enrolled.size > 0 ? { id: { $nin: [...enrolled] } } : {}) }, { orderBy: [{ id: 'asc' }], lockMode: LockMode.PESSIMISTIC_WRITE });
    const definitions = await publishedDefinitions(ctx, [...new Set(instances.map((instance) => instance.versionId))]);
    for (const instance of instances) {
      if (await hasStep(ctx, instance.id, `event:${event.eventId}`)) continue;
      await applyToInstance(ctx, instance, definitions.get(instance.versionId)!, event, facts);
    }
  });
  services.jobs.nudge();
};

/**
 * Enrols the event's patient on each published journey whose trigger the event matches (once per
 * event and journey); the ids of the instances it made.
 */
async function enrolByTrigger(ctx: AppContext, event: ApplyPayload, facts: EventFacts): Promise<Set<string>> {
  const made = new Set<string>();
  const rows = await ctx.sql.query(journeysTriggeredBy(ctx.services.orm, { tenantId: ctx.tenant.id, eventType: event.type }));
  const journeys = rows.map((row) => readTriggeredJourney(ctx.services.orm, row));
  if (journeys.length === 0) return made;
  const definitions = await publishedDefinitions(ctx, journeys.map((journey) => journey.publishedVersionId!));
  const matched = journeys.filter((journey) => {
    const trigger = definitions.get(journey.publishedVersionId!)?.trigger;
    return trigger?.kind === 'event' && matches(trigger, event.type, facts);
  });
  if (matched.length === 0) return made;
  // A doubled event: the journeys it enrolled the patient on already.
  const done = new Set((await ctx.em.find(JourneyInstance, { journeyId: { $in: matched.map((journey) => journey.id) }, enrolEventId: event.eventId }, { fields: ['journeyId'] })).map((instance) => instance.journeyId));
  const enrolments = matched.filter((journey) => !done.has(journey.id)).map((journey) => ({
    journey,
    version: { id: journey.publishedVersionId!, version: journey.publishedVersion!, definition: definitions.get(journey.publishedVersionId!)! },
    patientId: facts.patientId!,
    appointmentId: facts.appointmentId,
    eventId: event.eventId,
  }));
  for (const enrolled of await enrolAll(ctx, enrolments)) {
    // A journey that does not take patients again: the event enrols nobody.
    if ('refused' in enrolled) continue;
    if (enrolled.created) made.add(enrolled.instance.id);
    else addStep(ctx, enrolled.instance, 'note', `${event.type} would enrol the patient again; already on the journey.`, { eventId: event.eventId, dedupeKey: `trigger:${event.eventId}` });
  }
  return made;
}

/** Why the event ends the instance, if it does. */
function exitReason(instance: JourneyInstance, definition: JourneyDefinition, event: ApplyPayload, facts: EventFacts): string | undefined {
  const ownAppointment = event.entityType !== 'appointment' || event.entityId === instance.appointmentId;
  if (event.type === 'patient.deleted' && event.entityId === instance.patientId) return 'The patient was deleted.';
  if (event.type === 'patient.merged' && event.payload.sourcePatientId === instance.patientId) return 'The patient was merged into another record.';
  if (event.type === 'patient.consent_revoked' && event.entityId === instance.patientId && (!definition.channel || [definition.channel, 'all'].includes(String(event.payload.channel)))) {
    return `The patient revoked consent on ${String(event.payload.channel)}.`;
  }
  if (event.type === 'appointment.cancelled' && instance.appointmentId && event.entityId === instance.appointmentId) return 'The appointment was cancelled.';
  const exit = definition.exits.find((match) => matches(match, event.type, facts));
  return exit && ownAppointment ? `Exit event: ${event.type}.` : undefined;
}

async function applyToInstance(ctx: AppContext, instance: JourneyInstance, definition: JourneyDefinition, event: ApplyPayload, facts: EventFacts): Promise<void> {
  const recorded = { eventId: event.eventId, dedupeKey: `event:${event.eventId}` };
  const exit = exitReason(instance, definition, event, facts);
  if (exit) return finish(ctx, instance, 'exited', exit, recorded);
  if (event.type === 'appointment.rescheduled' && event.entityId === instance.appointmentId) {
    addStep(ctx, instance, 'replanned', 'The appointment moved: timers planned again for its new time.', recorded);
    if (instance.status === 'active') await planTimers(ctx, instance, definition, { replan: true });
    else instance.timerToken += 1; // resuming plans them
    return;
  }
  if (instance.status !== 'active') return;
  // An appointment event moves an instance only when it is about the instance's own appointment.
  if (event.entityType === 'appointment' && instance.appointmentId && event.entityId !== instance.appointmentId) return;
  const way = stageOf(definition, instance.currentStage)?.next.find((candidate) => candidate.on && matches(candidate.on, event.type, facts));
  if (!way) return;
  addStep(ctx, instance, 'event', `${event.type}: on to ${way.to}.`, recorded);
  await enterStage(ctx, instance, definition, way.to);
}
