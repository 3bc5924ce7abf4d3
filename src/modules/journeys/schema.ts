import { z } from 'zod';
import { pageInput, pageOutput } from '../../db/pagination.js';
import { Id, Timestamp } from '../../schema.js';
import { JourneyDefinition } from './definition.js';
import { instanceStatuses, journeyVersionStatuses, stepKinds } from './entities.js';

const JourneyName = z.string().trim().min(1).max(100).describe('The journey’s name, unique in the clinic.');
const Description = z.string().trim().max(2_000).describe('What the journey is for, for staff.');
const InstanceStatus = z.enum(instanceStatuses).describe('active, paused, completed, cancelled (by staff) or exited (by an exit event).');

export const JourneyView = z.object({
  id: Id,
  name: z.string(),
  description: z.string().nullable(),
  latestVersion: z.number().int().describe('The highest version number, draft or published.'),
  publishedVersion: z.number().int().nullable().describe('The version new enrolments get; null until published.'),
  triggerEvent: z.string().nullable().describe('The published version’s trigger event; null: manual.'),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type JourneyView = z.infer<typeof JourneyView>;

export const JourneyVersionView = z.object({
  id: Id,
  version: z.number().int(),
  status: z.enum(journeyVersionStatuses).describe('draft (editable) or published (never changes).'),
  definition: JourneyDefinition,
  publishedAt: Timestamp.nullable(),
});
export const JourneyDetail = JourneyView.extend({ versions: z.array(JourneyVersionView).describe('Newest first.') });

export const CreateJourneyInput = z.strictObject({
  name: JourneyName,
  description: Description.optional(),
  definition: JourneyDefinition,
});
export const UpdateJourneyDraftInput = z.strictObject({
  id: Id.describe('The journey id.'),
  description: Description.nullable().optional(),
  definition: JourneyDefinition,
});
export const JourneyIdInput = z.strictObject({ id: Id.describe('The journey id.') });
export const ListJourneysInput = z.strictObject({ ...pageInput });
export const ListJourneysOutput = pageOutput(JourneyView);

export const StageRunView = z.object({
  stage: z.string().describe('The stage’s key.'),
  run: z.number().int().describe('Which entry into a stage this was (1, 2, …).'),
  status: z.enum(['active', 'done', 'left']).describe('active, done (moved on by its ways or completed), left (moved by hand or ended early).'),
  startedAt: Timestamp,
  endedAt: Timestamp.nullable(),
  actionsDoneAt: Timestamp.nullable().describe('When its actions had all run.'),
});

export const InstanceView = z.object({
  id: Id,
  journeyId: Id,
  version: z.number().int().describe('The journey version it runs; it stays on it.'),
  patientId: Id,
  appointmentId: Id.nullable(),
  status: InstanceStatus,
  currentStage: z.string().nullable(),
  stageStartedAt: Timestamp.nullable(),
  stages: z.array(StageRunView).describe('Each stage run, in order.'),
  enrolledAt: Timestamp,
  endedAt: Timestamp.nullable(),
  endReason: z.string().nullable(),
});
export type InstanceView = z.infer<typeof InstanceView>;

export const StepView = z.object({
  id: Id,
  at: Timestamp,
  kind: z.enum(stepKinds),
  stage: z.string().nullable(),
  summary: z.string(),
  detail: z.record(z.string(), z.unknown()),
  toolRunId: Id.nullable().describe('The tool run of an action (GET /tool-runs/{id}).'),
  eventId: Id.nullable().describe('The event that caused it.'),
});
export const InstanceDetail = InstanceView.extend({ timeline: z.array(StepView).describe('Everything that happened, oldest first.') });

export const EnrolInput = z.strictObject({
  id: Id.describe('The journey id.'),
  patientId: Id.describe('The patient to enrol.'),
  appointmentId: Id.optional().describe('The patient’s appointment the journey’s delays may count from.'),
});
export const InstanceIdInput = z.strictObject({ id: Id.describe('The journey instance id.') });
export const EmitEventInput = z.strictObject({
  instanceId: Id.describe('The journey instance the event is about (filled in for a journey’s own action).'),
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,59}$/, 'lowercase letters, digits and _, starting with a letter (at most 60)')
    .describe('The event’s name: it is recorded as journey.custom.<name> (for example journey.custom.knee_survey_due).'),
});
export const EmitEventOutput = z.object({
  eventId: Id.describe('The event recorded: its `webhook-id` in deliveries.'),
  type: z.string().describe('journey.custom.<name>.'),
  instanceId: Id,
});
export const AdvanceInput = z.strictObject({
  id: Id.describe('The journey instance id.'),
  to: z.string().max(60).optional().describe('The stage to move to; omitted: the current stage’s first way forward (or completion from a last stage).'),
});
export const ListInstancesInput = z.strictObject({
  journeyId: Id.optional(),
  patientId: Id.optional(),
  status: z.array(InstanceStatus).max(5).optional().describe('Only these statuses (repeat the key or separate with commas).'),
  stage: z.string().max(60).optional().describe('Only instances in this stage.'),
  ...pageInput,
});
export const ListInstancesOutput = pageOutput(InstanceView).describe('Newest enrolment first.');

export const JourneyStatsInput = z.strictObject({ journeyId: Id.optional().describe('One journey; omitted: all.') });
export const JourneyStatsOutput = z.object({
  total: z.number().int(),
  byStatus: z.record(z.enum(instanceStatuses), z.number().int()),
  byStage: z.array(z.object({ stage: z.string().nullable(), status: InstanceStatus, count: z.number().int() })).describe('Instances by current (or last) stage and status; only the pairs that occur.'),
  completionRate: z.number().nullable().describe('Completed among ended instances (completed, cancelled, exited); null when none ended.'),
});

export const PlanInput = z.strictObject({ patientId: Id.describe('The patient.') });
export const PlanOutput = z.object({
  journeys: z.array(
    z.object({
      instanceId: Id,
      journey: z.string().describe('The journey’s name.'),
      status: InstanceStatus,
      stage: z.string().nullable().describe('The current stage’s name.'),
      next: z
        .array(z.object({ stage: z.string().describe('The stage it leads to.'), at: Timestamp.nullable().describe('When, if it is timed.'), when: z.string().describe('What moves it on, in words.') }))
        .describe('What comes next.'),
    }),
  ),
});

export const MigrateInstancesInput = z.strictObject({
  id: Id.describe('The journey id.'),
  fromVersion: z.number().int().min(1).describe('Move the instances under way on this version.'),
  toVersion: z.number().int().min(1).optional().describe('To this published version; omitted: the journey’s published version.'),
  stageMap: z
    .record(z.string().max(60), z.string().max(60))
    .refine((map) => Object.keys(map).length <= 50, 'at most 50 stages')
    .default({})
    .describe('Old stage key → new stage key. A stage left out goes to the new stage of the same key, if there is one; else its instances stay.'),
  instanceIds: z.array(Id).min(1).max(1_000).optional().describe('Only these instances.'),
  dryRun: z.boolean().default(true).describe('true (default): report what would happen and change nothing.'),
});
export const MigrateInstancesOutput = z.object({
  dryRun: z.boolean(),
  fromVersion: z.number().int(),
  toVersion: z.number().int(),
  moved: z.number().int().describe('Instances moved (or that would be, in a dry run).'),
  unmapped: z.number().int().describe('Instances whose stage maps to nothing: they stay on their version.'),
  items: z.array(
    z.object({
      instanceId: Id,
      from: z.string().nullable().describe('Its stage now.'),
      to: z.string().nullable().describe('Its stage in the new version; null: it stays.'),
      outcome: z.enum(['migrated', 'would_migrate', 'unmapped']),
    }),
  ),
});
