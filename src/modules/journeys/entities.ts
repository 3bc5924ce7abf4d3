import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter, tenantOwnedProperties } from '../../db/base.js';
import type { JourneyDefinition } from './definition.js';

export const journeyVersionStatuses = ['draft', 'published'] as const;
export const instanceStatuses = ['active', 'paused', 'completed', 'cancelled', 'exited'] as const;
export type InstanceStatus = (typeof instanceStatuses)[number];
/** Statuses of an instance still under way: at most one per patient and journey (a partial unique index). */
export const liveStatuses: readonly InstanceStatus[] = ['active', 'paused'];

/** A care journey: a named pathway; its definitions are its versions. */
export const Journey = defineEntity({
  name: 'Journey',
  tableName: 'journey',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    /** Unique in the clinic. */
    name: p.string(),
    description: p.text().nullable(),
    /** The highest version number, draft or published. */
    latestVersion: p.integer(),
    /** The version new instances enrol on; null until the first publish. */
    publishedVersion: p.integer().nullable(),
    publishedVersionId: p.uuid().nullable(),
    /** The published version's trigger event (null: manual): the consumer finds journeys by it. */
    triggerEvent: p.string().nullable(),
  },
});
export type Journey = InferEntity<typeof Journey>;

/** One version of a journey's definition. A published version never changes (the database refuses it). */
export const JourneyVersion = defineEntity({
  name: 'JourneyVersion',
  tableName: 'journey_version',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    journeyId: p.uuid(),
    version: p.integer(),
    status: p.enum([...journeyVersionStatuses]),
    definition: p.json<JourneyDefinition>(),
    publishedAt: p.datetime().nullable(),
    publishedById: p.string().nullable(),
  },
});
export type JourneyVersion = InferEntity<typeof JourneyVersion>;

/** One run of a stage: its status and times. */
export type StageRun = { stage: string; run: number; status: 'active' | 'done' | 'left'; startedAt: string; endedAt: string | null; actionsDoneAt: string | null };

/** A patient on a journey, on the version it enrolled on. */
export const JourneyInstance = defineEntity({
  name: 'JourneyInstance',
  tableName: 'journey_instance',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    journeyId: p.uuid(),
    versionId: p.uuid(),
    version: p.integer(),
    patientId: p.uuid(),
    /** The appointment its delays may be relative to (the one that enrolled it, or given at enrolment). */
    appointmentId: p.uuid().nullable(),
    status: p.enum([...instanceStatuses]),
    currentStage: p.string().nullable(),
    stageStartedAt: p.datetime().nullable(),
    /** Counts stage entries: the current stage run's number (its actions' idempotency keys carry it). */
    stageRun: p.integer(),
    /**
     * Changes whenever the timers planned so far stop being right (a new stage, pause, resume, a
     * rescheduled appointment): a timer job carries the token it was planned with and does nothing
     * once it differs.
     */
    timerToken: p.integer(),
    stageRuns: p.json<StageRun[]>(),
    enrolledAt: p.datetime(),
    enrolEventId: p.uuid().nullable(),
    endedAt: p.datetime().nullable(),
    endReason: p.string().nullable(),
  },
});
export type JourneyInstance = InferEntity<typeof JourneyInstance>;

export const stepKinds = ['enrolled', 'stage_entered', 'action', 'event', 'timer', 'paused', 'resumed', 'advanced', 'replanned', 'completed', 'cancelled', 'exited', 'note'] as const;
export type StepKind = (typeof stepKinds)[number];

/** The timeline of an instance: append-only, one row per thing that happened, linked to its tool run or event. */
export const JourneyStep = defineEntity({
  name: 'JourneyStep',
  tableName: 'journey_step',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    instanceId: p.uuid(),
    kind: p.enum([...stepKinds]),
    stage: p.string().nullable(),
    summary: p.text(),
    detail: p.json<Record<string, unknown>>(),
    toolRunId: p.uuid().nullable(),
    eventId: p.uuid().nullable(),
    /** Unique per instance: an event applied (`event:<id>`) or an action run (`action:<run>:<index>`) is recorded once. */
    dedupeKey: p.string().nullable(),
    at: p.datetime(),
  },
});
export type JourneyStep = InferEntity<typeof JourneyStep>;
