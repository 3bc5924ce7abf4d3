import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { AppError, type FieldIssue } from '../../errors.js';
import { requireJourney } from './definitions.js';
import { addStep, enterStage, lockInstance, planTimers, stageOf } from './engine.js';
import { JourneyInstance, JourneyVersion, liveStatuses } from './entities.js';
import type { MigrateInstancesInput } from './schema.js';

/** Instances moved in one call at most: a bigger move is several calls (the rest stay on their version meanwhile). */
export const MAX_MIGRATED = 1_000;

type Outcome = 'migrated' | 'would_migrate' | 'unmapped';

/**
 * Moves the instances under way on `fromVersion` to a published version, only when staff ask: each
 * current stage goes to the stage the map names (or the stage of the same key), where it keeps its
 * stage run and only has its timers planned again; a different stage is entered afresh (its actions
 * run). An instance whose stage maps to nothing stays where it is. `dryRun` (the default) reports what
 * would happen and changes nothing.
 */
export async function migrateInstances(ctx: AppContext, input: z.output<typeof MigrateInstancesInput>) {
  const journey = await requireJourney(ctx, input.id);
  const toNumber = input.toVersion ?? journey.publishedVersion;
  const [from, to] = await Promise.all([
    ctx.em.findOne(JourneyVersion, { journeyId: journey.id, version: input.fromVersion }),
    toNumber === null ? null : ctx.em.findOne(JourneyVersion, { journeyId: journey.id, version: toNumber, status: 'published' }),
  ]);
  const issues: FieldIssue[] = [];
  if (!from) issues.push({ path: 'fromVersion', message: `journey ${journey.name} has no version ${input.fromVersion}` });
  if (!to) issues.push({ path: 'toVersion', message: `journey ${journey.name} has no published version ${toNumber ?? ''}`.trim() });
  if (from && to && from.id === to.id) issues.push({ path: 'toVersion', message: 'the same version as fromVersion' });
  for (const [oldKey, newKey] of Object.entries(input.stageMap)) {
    if (from && !stageOf(from.definition, oldKey)) issues.push({ path: `stageMap.${oldKey}`, message: `version ${input.fromVersion} has no stage ${oldKey}` });
    if (to && !stageOf(to.definition, newKey)) issues.push({ path: `stageMap.${oldKey}`, message: `version ${toNumber} has no stage ${newKey}` });
  }
  if (issues.length > 0 || !from || !to) throw new AppError('unprocessable', `The instances cannot be moved: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, { issues });

  const instances = await ctx.em.find(
    JourneyInstance,
    { journeyId: journey.id, versionId: from.id, status: { $in: [...liveStatuses] }, ...(input.instanceIds ? { id: { $in: input.instanceIds } } : {}) },
    { orderBy: [{ id: 'asc' }], limit: MAX_MIGRATED },
  );
  const items: { instanceId: string; from: string | null; to: string | null; outcome: Outcome }[] = [];
  for (const found of instances) {
    const current = found.currentStage ?? '';
    const target = input.stageMap[current] ?? (stageOf(to.definition, current) ? current : null);
    if (!target) {
      items.push({ instanceId: found.id, from: found.currentStage ?? null, to: null, outcome: 'unmapped' });
      continue;
    }
    items.push({ instanceId: found.id, from: current, to: target, outcome: input.dryRun ? 'would_migrate' : 'migrated' });
    if (input.dryRun) continue;
    const instance = (await lockInstance(ctx, found.id))!;
    instance.versionId = to.id;
    instance.version = to.version;
    addStep(ctx, instance, 'note', `Moved from version ${from.version} to ${to.version} by ${ctx.actor.kind} ${ctx.actor.id}: ${current} → ${target}.`, { detail: { fromVersion: from.version, toVersion: to.version, to: target } });
    if (target === current) await planTimers(ctx, instance, to.definition, { replan: true });
    else if (instance.status === 'active') await enterStage(ctx, instance, to.definition, target, 'left');
    else instance.currentStage = target; // paused: resuming plans the new stage's timers
  }
  const count = (outcome: Outcome) => items.filter((item) => item.outcome === outcome).length;
  return { dryRun: input.dryRun, fromVersion: from.version, toVersion: to.version, moved: count(input.dryRun ? 'would_migrate' : 'migrated'), unmapped: count('unmapped'), items };
}
