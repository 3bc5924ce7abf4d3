import { idleStep, type Answer, type GuidedContext } from '../context.js';
import * as replies from '../replies.js';

/** Address, hours and phone. The profile the engine was given is the fallback: this needs no database. */
export async function clinicInfo(context: GuidedContext): Promise<Answer> {
  const outcome = await context.operations.clinicInfo();
  return { text: replies.clinicInfo(outcome.ok ? outcome.value : context.clinic), step: idleStep };
}
