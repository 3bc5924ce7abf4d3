import { z } from 'zod';

/** A JSON Schema object, as the MCP SDK and the AI SDK take it. */
export type JsonObjectSchema = { type: 'object'; properties?: Record<string, object>; required?: string[]; [key: string]: unknown };

/**
 * The JSON Schema an AI client reads for a tool's input or output. zod writes a `pattern` beside each
 * `format` it knows (uuid, date, email…), up to 230 characters of regex each; the format says the
 * same to a model in a word, so the pattern is left out: a third of the agent's tool definitions,
 * about a thousand tokens on every model call. Values are still checked against the zod schema by the
 * runner. (The OpenAPI document keeps the patterns: it is written for programs.)
 */
export function toolJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObjectSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return withoutFormatPatterns(rest) as JsonObjectSchema;
}

function withoutFormatPatterns(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutFormatPatterns);
  if (node === null || typeof node !== 'object') return node;
  const entries = Object.entries(node).filter(([key]) => !(key === 'pattern' && typeof (node as { format?: unknown }).format === 'string'));
  return Object.fromEntries(entries.map(([key, value]) => [key, withoutFormatPatterns(value)]));
}
