import { defineOperation } from '../../tools/operation.js';
import {
  GetToolRunInput,
  ListToolRunsInput,
  ListToolRunsOutput,
  ListToolsInput,
  ListToolsOutput,
  ToolRunStatsInput,
  ToolRunStatsOutput,
  ToolRunView,
} from './schema.js';
import * as agents from './service.js';

const readOnly = { readOnly: true, destructive: false, idempotent: true };

export const agentOperations = [
  defineOperation({
    name: 'list_tools',
    title: 'List tools',
    description: 'Lists every tool (operation) with its input and output JSON Schemas, annotations and access rules.',
    tag: 'agents',
    input: ListToolsInput,
    output: ListToolsOutput,
    annotations: readOnly,
    access: { roles: ['staff', 'agent'] },
    http: { method: 'get', path: '/agents/tools' },
    run: async (ctx) => agents.listTools(ctx),
  }),
  defineOperation({
    name: 'list_tool_runs',
    title: 'List tool runs',
    description: 'Lists tool runs from every door (REST, MCP, the agent), newest first, with filters and keyset pagination.',
    tag: 'agents',
    input: ListToolRunsInput,
    output: ListToolRunsOutput,
    annotations: readOnly,
    access: { roles: ['staff'] },
    http: { method: 'get', path: '/agents/runs' },
    run: (ctx, input) => agents.listToolRuns(ctx, input),
  }),
  defineOperation({
    name: 'get_tool_run',
    title: 'Get a tool run',
    description: 'One tool run with its input, output or error, actor, channel and duration.',
    tag: 'agents',
    input: GetToolRunInput,
    output: ToolRunView,
    annotations: readOnly,
    access: { roles: ['staff'] },
    http: { method: 'get', path: '/agents/runs/{id}' },
    run: (ctx, input) => agents.getToolRun(ctx, input.id),
  }),
  defineOperation({
    name: 'tool_run_stats',
    title: 'Tool run statistics',
    description: 'Counts of tool runs by tool and outcome, with p50 and p95 durations in milliseconds.',
    tag: 'agents',
    input: ToolRunStatsInput,
    output: ToolRunStatsOutput,
    annotations: readOnly,
    access: { roles: ['staff'] },
    http: { method: 'get', path: '/agents/stats' },
    run: (ctx, input) => agents.toolRunStats(ctx, input),
  }),
];
