import { toIso, toIsoOrNull } from '../../schema.js';
import type { Journey, JourneyInstance, JourneyStep, JourneyVersion } from './entities.js';
import type { InstanceView, JourneyView } from './schema.js';

export const journeyView = (journey: Journey): JourneyView => ({
  id: journey.id,
  name: journey.name,
  description: journey.description ?? null,
  latestVersion: journey.latestVersion,
  publishedVersion: journey.publishedVersion ?? null,
  triggerEvent: journey.triggerEvent ?? null,
  createdAt: toIso(journey.createdAt),
  updatedAt: toIso(journey.updatedAt),
});

export const versionView = (version: JourneyVersion) => ({
  id: version.id,
  version: version.version,
  status: version.status,
  definition: version.definition,
  publishedAt: toIsoOrNull(version.publishedAt),
});

export const instanceView = (instance: JourneyInstance): InstanceView => ({
  id: instance.id,
  journeyId: instance.journeyId,
  version: instance.version,
  patientId: instance.patientId,
  appointmentId: instance.appointmentId ?? null,
  status: instance.status,
  currentStage: instance.currentStage ?? null,
  stageStartedAt: toIsoOrNull(instance.stageStartedAt),
  stages: instance.stageRuns,
  enrolledAt: toIso(instance.enrolledAt),
  endedAt: toIsoOrNull(instance.endedAt),
  endReason: instance.endReason ?? null,
});

export const stepView = (step: JourneyStep) => ({
  id: step.id,
  at: toIso(step.at),
  kind: step.kind,
  stage: step.stage ?? null,
  summary: step.summary,
  detail: step.detail,
  toolRunId: step.toolRunId ?? null,
  eventId: step.eventId ?? null,
});
