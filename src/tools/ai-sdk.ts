import { jsonSchema, tool, type ToolSet } from 'ai';
import { z } from 'zod';
import type { AppError } from '../errors.js';
import { boundFields } from './access.js';
import { toolErrorText } from './mcp.js';
import { toolJsonSchema } from './json-schema.js';
import type { Operation } from './operation.js';

/** Calls one operation through the runner for the conversation; see src/agent/tool-caller.ts. */
export type ToolCaller = (tool: string, input: unknown) => Promise<{ ok: true; output: unknown } | { ok: false; error: AppError }>;

type JSONSchema7 = Exclude<Parameters<typeof jsonSchema>[0], PromiseLike<unknown> | (() => unknown)>;

const modelSchemas = new WeakMap<Operation, JSONSchema7>();

/** The input schema the model sees: the operation's, without the fields the runner fills in. Made once per operation. */
function modelInputSchema(operation: Operation): JSONSchema7 {
  const known = modelSchemas.get(operation);
  if (known) return known;
  const hidden = new Set(boundFields(operation));
  const visible = z.strictObject(Object.fromEntries(Object.entries(operation.input.shape).filter(([key]) => !hidden.has(key))));
  const schema = toolJsonSchema(visible, 'input') as JSONSchema7;
  modelSchemas.set(operation, schema);
  return schema;
}

/**
 * AI SDK tools for the given operations. The SDK does not validate the model's arguments: the runner
 * does, so a bad call is logged as rejected like any other, and its error goes back to the model as
 * the tool's result (the field and what was wrong), so the model can correct itself.
 */
export function agentTools(operations: readonly Operation[], call: ToolCaller): ToolSet {
  return Object.fromEntries(
    operations.map((operation) => [
      operation.name,
      tool({
        description: operation.description,
        inputSchema: jsonSchema<Record<string, unknown>>(modelInputSchema(operation)),
        execute: async (input: Record<string, unknown>) => {
          const outcome = await call(operation.name, input);
          return outcome.ok ? outcome.output : { error: toolErrorText(outcome.error) };
        },
      }),
    ]),
  );
}
