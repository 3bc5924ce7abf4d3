import type { AppContext } from '../../context.js';
import { definitionOf, dueAt, stageOf } from './engine.js';
import { Journey, JourneyInstance, liveStatuses } from './entities.js';

/**
 * What is planned for the patient: each journey under way, its current stage, and what moves it on
 * (when, for a delay). The patient-facing agent reads it for the verified patient.
 */
export async function journeyPlan(ctx: AppContext, patientId: string) {
  const instances = await ctx.em.find(JourneyInstance, { patientId, status: { $in: [...liveStatuses] } }, { orderBy: [{ enrolledAt: 'asc' }, { id: 'asc' }] });
  const journeys = new Map((await ctx.em.find(Journey, { id: { $in: instances.map((instance) => instance.journeyId) } })).map((journey) => [journey.id, journey]));
  const planned = [];
  for (const instance of instances) {
    const definition = await definitionOf(ctx, instance);
    const stage = stageOf(definition, instance.currentStage);
    const next = [];
    for (const way of stage?.next ?? []) {
      const due = await dueAt(ctx, instance, way);
      const target = stageOf(definition, way.to)?.name ?? way.to;
      const words = [way.on ? `when ${way.on.event} happens` : undefined, way.after ? `after ${way.after.delay} from the ${way.after.from}` : undefined].filter(Boolean);
      next.push({ stage: target, at: due ? due.toISOString() : null, when: words.join(', or ') });
    }
    planned.push({ instanceId: instance.id, journey: journeys.get(instance.journeyId)?.name ?? '', status: instance.status, stage: stage?.name ?? null, next });
  }
  return { journeys: planned };
}
