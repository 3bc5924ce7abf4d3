import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Services } from '../../context.js';
import { fromZodError } from '../../errors.js';
import { readJsonBody } from '../../http/body.js';
import type { AppEnv } from '../../http/env.js';
import { API_BASE, ErrorBody } from '../../tools/rest.js';
import { runOperation } from '../../tools/runner.js';
import { RunToolBody } from './schema.js';

/** `POST /agents/run`: runs any tool by name, through the same runner as every other door. */
export function mountAgentRoutes(app: OpenAPIHono<AppEnv>, services: Services): void {
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: `${API_BASE}/agents/run`,
    operationId: 'run_tool',
    summary: 'Run a tool',
    description: 'Runs one tool by name with its input. Answers with the run id and the tool’s output; failures answer with the error, and are logged too.',
    tags: ['agents'],
    security: [{ bearerAuth: [] }],
    request: { body: { content: { 'application/json': { schema: RunToolBody } }, required: true } },
    responses: {
      200: { description: 'The run id and the tool’s output.' },
      400: { description: 'Invalid input: `issues` names each wrong field.', content: { 'application/json': { schema: ErrorBody } } },
    },
  });
  app.post(`${API_BASE}/agents/run`, async (c) => {
    const body = RunToolBody.safeParse(await readJsonBody(c));
    if (!body.success) throw fromZodError(body.error);
    const outcome = await runOperation(services, c.get('caller'), body.data);
    c.header('X-Tool-Run-Id', outcome.runId);
    if (!outcome.ok) throw outcome.error;
    return c.json({ runId: outcome.runId, replayed: outcome.replayed, output: outcome.output });
  });
}
