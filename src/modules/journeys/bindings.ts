import type { Operation } from '../../tools/operation.js';

/** What an action's input may refer to: the instance's patient, appointment, id, and the last ticket it created. */
export type Bindings = { patientId: string; appointmentId: string | null; instanceId: string; ticketId: string | null };

const PLACEHOLDER = /\{\{\s*(patientId|appointmentId|instanceId|ticketId)\s*\}\}/g;

function substitute(value: unknown, bindings: Bindings): unknown {
  if (typeof value === 'string') return value.replace(PLACEHOLDER, (_, name: keyof Bindings) => bindings[name] ?? '');
  if (Array.isArray(value)) return value.map((item) => substitute(item, bindings));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, bindings)]));
  return value;
}

/**
 * The input an action's tool is called with: its placeholders filled, and `patientId`, `instanceId`
 * (and `appointmentId`, when the instance has one) set when the operation takes them and the action left them out.
 */
export function actionInput(operation: Operation, input: Record<string, unknown>, bindings: Bindings): Record<string, unknown> {
  const bound = substitute(input, bindings) as Record<string, unknown>;
  const fields = operation.input.shape;
  if ('patientId' in fields && bound.patientId === undefined) bound.patientId = bindings.patientId;
  if ('instanceId' in fields && bound.instanceId === undefined) bound.instanceId = bindings.instanceId;
  if ('appointmentId' in fields && bound.appointmentId === undefined && bindings.appointmentId) bound.appointmentId = bindings.appointmentId;
  return bound;
}
