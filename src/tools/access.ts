import type { Caller } from '../context.js';
import { forbidden, type AppError } from '../errors.js';
import type { Operation } from './operation.js';

/** Why the caller may not run the operation, or undefined when it may. */
export function refusal(operation: Operation, caller: Caller): AppError | undefined {
  const role = caller.actor.role;
  const allowed = role === 'admin' || role === 'system' || (operation.access.roles as readonly string[]).includes(role);
  if (!allowed) {
    return forbidden(`The ${role} role may not call ${operation.name}; it needs one of: ${['admin', ...operation.access.roles].join(', ')}.`);
  }
  if (caller.allowedTools && !caller.allowedTools.includes(operation.name)) {
    return forbidden(`This caller may run only ${caller.allowedTools.join(', ')}; not ${operation.name}.`);
  }
  const subject = caller.subject;
  if (!subject) return undefined;
  if (operation.access.patientScoped && !subject.patientId) {
    return forbidden(`${operation.name} needs a verified patient, and this conversation has none yet. Ask the patient to verify their identity first.`);
  }
  if (operation.access.phi && !subject.verified) {
    return forbidden(`${operation.name} shows or changes health information: the patient must verify their identity first.`);
  }
  return undefined;
}

/**
 * The input as the operation will see it: in a conversation, a patient-scoped operation gets the
 * conversation's patient and a conversation-scoped one the conversation, whatever the caller sent.
 */
export function bindSubject(operation: Operation, caller: Caller, input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const bound: Record<string, unknown> = { ...input };
  if (operation.access.patientScoped && caller.subject?.patientId) bound.patientId = caller.subject.patientId;
  if (operation.access.conversationScoped && caller.conversationId) bound.conversationId = caller.conversationId;
  return bound;
}

/** The fields the runner fills in for a conversation's caller: they are left out of the model's tools. */
export function boundFields(operation: Operation): string[] {
  return [...(operation.access.patientScoped ? ['patientId'] : []), ...(operation.access.conversationScoped ? ['conversationId'] : [])];
}
