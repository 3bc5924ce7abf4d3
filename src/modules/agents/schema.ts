import { z } from 'zod';
import { pageInput, pageOutput } from '../../db/pagination.js';
import { Id, InstantInput, Timestamp } from '../../schema.js';
import { toolRunStatuses } from '../../tools/tool-run.js';

export const actorKinds = ['staff', 'agent', 'mcp', 'patient', 'n8n', 'system'] as const;

export const ToolView = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  tag: z.string().describe('The module it belongs to.'),
  annotations: z.object({ readOnly: z.boolean(), destructive: z.boolean(), idempotent: z.boolean() }),
  access: z.object({ roles: z.array(z.string()), patientScoped: z.boolean(), phi: z.boolean() }),
  http: z.object({ method: z.string(), path: z.string() }),
  inputSchema: z.record(z.string(), z.unknown()).describe('JSON Schema of the input.'),
  outputSchema: z.record(z.string(), z.unknown()).describe('JSON Schema of the output.'),
});

export const ListToolsInput = z.strictObject({});
export const ListToolsOutput = z.object({ tools: z.array(ToolView) });

export const ToolRunView = z.object({
  id: Id,
  tool: z.string(),
  status: z.enum(toolRunStatuses),
  actor: z.object({ kind: z.string(), id: z.string() }),
  channel: z.string(),
  conversationId: Id.nullable(),
  requestId: z.string().nullable(),
  input: z.unknown(),
  output: z.unknown(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  durationMs: z.number(),
  startedAt: Timestamp,
  idempotencyKey: z.string().nullable(),
  replayOf: Id.nullable(),
});
export type ToolRunView = z.infer<typeof ToolRunView>;

const range = {
  since: InstantInput.optional().describe('Only runs that started at or after this instant.'),
  until: InstantInput.optional().describe('Only runs that started before this instant.'),
};

export const ListToolRunsInput = z.strictObject({
  tool: z.string().max(200).optional().describe('Only runs of this tool.'),
  status: z.enum(toolRunStatuses).optional().describe('Only runs with this outcome.'),
  actorKind: z.enum(actorKinds).optional().describe('Only runs by this kind of actor.'),
  ...range,
  ...pageInput,
});
export const ListToolRunsOutput = pageOutput(ToolRunView);

export const GetToolRunInput = z.strictObject({ id: Id.describe('The run id.') });

export const ToolRunStatsInput = z.strictObject({ ...range });
export const ToolRunStatsOutput = z.object({
  total: z.number().int(),
  byStatus: z.record(z.string(), z.number().int()),
  byTool: z.array(
    z.object({
      tool: z.string(),
      status: z.enum(toolRunStatuses),
      count: z.number().int(),
      p50Ms: z.number(),
      p95Ms: z.number(),
    }),
  ),
});

export const RunToolBody = z.strictObject({
  tool: z.string().min(1).describe('The tool (operation) name, as listed by GET /agents/tools.'),
  input: z.unknown().describe('The tool input; validated against the tool’s input schema.'),
  idempotencyKey: z.string().min(1).max(200).optional().describe('A repeated key returns the first result and runs nothing again.'),
});
