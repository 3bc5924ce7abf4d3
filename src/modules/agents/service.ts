import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { decodeCursor, page } from '../../db/pagination.js';
import { notFound } from '../../errors.js';
import { toolDefinition } from '../../tools/mcp.js';
import { ToolRun } from '../../tools/tool-run.js';
import { listRuns, runColumns, type RunRow } from './statements.js';
import type { ListToolRunsInput, ListToolsOutput, ToolRunStatsInput, ToolRunStatsOutput, ToolRunView } from './schema.js';

/** Every operation, with its JSON Schemas, as MCP clients and the agent see it. */
export function listTools(ctx: AppContext): z.input<typeof ListToolsOutput> {
  return {
    tools: ctx.services.registry.operations.map((operation) => {
      const definition = toolDefinition(operation);
      return {
        name: operation.name,
        title: operation.title,
        description: operation.description,
        tag: operation.tag,
        annotations: operation.annotations,
        access: {
          roles: ['admin', ...operation.access.roles],
          patientScoped: operation.access.patientScoped ?? false,
          phi: operation.access.phi ?? false,
        },
        http: { method: operation.http.method.toUpperCase(), path: `/api/v1/prm${operation.http.path}` },
        inputSchema: definition.inputSchema,
        outputSchema: definition.outputSchema ?? {},
      };
    }),
  };
}

const runView = (run: RunRow): ToolRunView => ({
  id: run.id,
  tool: run.tool,
  status: run.status,
  actor: { kind: run.actorKind, id: run.actorId },
  channel: run.channel,
  conversationId: run.conversationId ?? null,
  requestId: run.requestId ?? null,
  input: run.input,
  output: run.output,
  error: run.errorCode ? { code: run.errorCode, message: run.errorMessage ?? '' } : null,
  durationMs: run.durationMs,
  startedAt: run.startedAt.toISOString(),
  idempotencyKey: run.idempotencyKey ?? null,
  replayOf: run.replayOf ?? null,
});

/** Runs, newest first, filtered; keyset-paginated. */
export async function listToolRuns(ctx: AppContext, input: z.output<typeof ListToolRunsInput>) {
  const { cursor, limit, ...filter } = input;
  const columns = runColumns(ctx.services.orm);
  const rows = await ctx.sql.query(listRuns(ctx.services.orm, ctx.tenant.id, { ...filter, after: decodeCursor(cursor), limit: limit + 1 }));
  return page(rows.map(columns.read), limit, (run) => ({ at: run.startedAt, id: run.id }), runView);
}

export async function getToolRun(ctx: AppContext, id: string): Promise<ToolRunView> {
  const run = await ctx.em.findOne(ToolRun, { id });
  if (!run) throw notFound('Tool run', id);
  return runView(run);
}

type StatsRow = { tool: string; status: 'succeeded' | 'failed' | 'rejected'; count: number; p50: number; p95: number };

/** Counts by tool and outcome, with median and 95th percentile durations. */
export async function toolRunStats(ctx: AppContext, input: z.output<typeof ToolRunStatsInput>): Promise<z.input<typeof ToolRunStatsOutput>> {
  const rows = await ctx.em.execute<StatsRow[]>(
    `select tool, status, count(*)::int as count,
            percentile_cont(0.5) within group (order by duration_ms) as p50,
            percentile_cont(0.95) within group (order by duration_ms) as p95
       from tool_run
      where tenant_id = ? and started_at >= ? and started_at < ?
      group by tool, status
      order by tool, status`,
    [ctx.tenant.id, input.since ?? '-infinity', input.until ?? 'infinity'],
  );
  const byStatus: Record<string, number> = { succeeded: 0, failed: 0, rejected: 0 };
  for (const row of rows) byStatus[row.status] += row.count;
  const round = (value: number) => Math.round(Number(value) * 1000) / 1000;
  return {
    total: rows.reduce((sum, row) => sum + row.count, 0),
    byStatus,
    byTool: rows.map((row) => ({ tool: row.tool, status: row.status, count: row.count, p50Ms: round(row.p50), p95Ms: round(row.p95) })),
  };
}
