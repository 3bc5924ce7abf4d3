import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Caller, Services } from '../context.js';
import { toAppError, type AppError } from '../errors.js';
import { toolJsonSchema } from './json-schema.js';
import type { Operation } from './operation.js';
import { runOperation } from './runner.js';

const definitions = new WeakMap<Operation, Tool>();

/** The MCP view of an operation: its JSON Schemas and hints, all from the one definition. Made once per operation. */
export function toolDefinition(operation: Operation): Tool {
  const known = definitions.get(operation);
  if (known) return known;
  const definition: Tool = {
    name: operation.name,
    title: operation.title,
    description: operation.description,
    inputSchema: toolJsonSchema(operation.input, 'input'),
    outputSchema: toolJsonSchema(operation.output, 'output'),
    annotations: {
      title: operation.title,
      readOnlyHint: operation.annotations.readOnly,
      destructiveHint: operation.annotations.destructive,
      idempotentHint: operation.annotations.idempotent,
      openWorldHint: false,
    },
  };
  definitions.set(operation, definition);
  return definition;
}

/** A tool error as text a model can act on: the code, the message and each wrong field. */
export function toolErrorText(error: AppError): string {
  const fields = error.issues?.map((issue) => `\n- ${issue.path}: ${issue.message}`).join('') ?? '';
  const details = error.details ? `\n${JSON.stringify(error.details)}` : '';
  return `${error.code}: ${error.message}${fields}${details}`;
}

/**
 * An MCP server for one caller (one tenant and key). Built per HTTP request or per stdio session;
 * never shared across tenants. Tool calls go through the runner like every other door. `caller` is
 * resolved at each tool call: a stdio session re-checks its key (src/key-caller.ts), and a
 * revoked key's call comes back as an `unauthorized` tool error.
 */
export function createMcpServer(services: Services, caller: () => Promise<Caller>): Server {
  const server = new Server({ name: 'prm-agent', version: '0.1.0' }, { capabilities: { tools: {} } });
  const tools = services.registry.operations.map(toolDefinition);

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const idempotencyKey = request.params._meta?.idempotencyKey;
    const outcome = await caller()
      .then((current) =>
        runOperation(services, current, {
          tool: request.params.name,
          input: request.params.arguments ?? {},
          idempotencyKey: typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
        }),
      )
      .catch((error: unknown) => {
        // A revoked key is refused here as `unauthorized`. Anything else (the database gone mid-call)
        // is logged, and the client gets a tool error, never the SDK's JSON-RPC error carrying the
        // exception's text (SQL, input).
        const failure = toAppError(error);
        if (failure.code === 'internal') services.log.error({ err: error, tool: request.params.name }, 'tool call failed outside the runner');
        return { ok: false as const, error: failure };
      });
    if (!outcome.ok) return { isError: true, content: [{ type: 'text', text: toolErrorText(outcome.error) }] };
    const output = outcome.output as Record<string, unknown>;
    return { content: [{ type: 'text', text: JSON.stringify(output) }], structuredContent: output };
  });
  return server;
}
