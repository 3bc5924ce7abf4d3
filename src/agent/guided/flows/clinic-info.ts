import { idleStep, type Answer, type GuidedContext } from '../context.js';
import { knowledgeAnswer } from './knowledge.js';

/**
 * A question about the clinic: from its knowledge when an article covers it (parking, policies),
 * else address, hours and phone. The profile the engine was given is the fallback: this needs no database.
 */
export async function clinicInfo(context: GuidedContext): Promise<Answer> {
  const known = await knowledgeAnswer(context);
  if (known) return known;
  const outcome = await context.operations.clinicInfo();
  return { text: context.say.clinicInfo(outcome.ok ? outcome.value : context.clinic), step: idleStep };
}
