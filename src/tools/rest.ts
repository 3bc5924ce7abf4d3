import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import type { Services } from '../context.js';
import { readJsonBody } from '../http/body.js';
import type { AppEnv } from '../http/env.js';
import type { Operation } from './operation.js';
import { queryInput } from './query-input.js';
import { runOperation } from './runner.js';

export const API_BASE = '/api/v1/prm';

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code: invalid_input, unauthorized, forbidden, not_found, conflict, unprocessable, payload_too_large, unsupported_media_type, rate_limited, internal.'),
      message: z.string().describe('What went wrong, for a person or a model.'),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe('The fields that were wrong.'),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });

const pathKeys = (operation: Operation): string[] => [...operation.http.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);

const takesBody = (operation: Operation) => ['post', 'put', 'patch'].includes(operation.http.method);

/** Everything the request carries, as one object for the operation's input schema. */
async function requestInput(c: Context<AppEnv>, operation: Operation): Promise<unknown> {
  const params = c.req.param() as Record<string, string>;
  if (!takesBody(operation)) return { ...queryInput(operation.input, c.req.queries()), ...params };
  const body = await readJsonBody(c);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  return { ...body, ...params };
}

/** The input schema cut in two: the path parameters, and the rest (query or body). */
function splitInput(operation: Operation): { params: z.ZodObject | undefined; rest: z.ZodObject } {
  const keys = pathKeys(operation);
  const fields = Object.entries(operation.input.shape);
  return {
    params: keys.length > 0 ? z.object(Object.fromEntries(fields.filter(([key]) => keys.includes(key)))) : undefined,
    rest: z.object(Object.fromEntries(fields.filter(([key]) => !keys.includes(key)))),
  };
}

function document(app: OpenAPIHono<AppEnv>, operation: Operation): void {
  const { params, rest } = splitInput(operation);
  const status = operation.http.status ?? 200;
  const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });
  app.openAPIRegistry.registerPath({
    method: operation.http.method,
    path: API_BASE + operation.http.path,
    operationId: operation.name,
    summary: operation.title,
    description: operation.description,
    tags: [operation.tag],
    security: [{ bearerAuth: [] }],
    request: {
      ...(params ? { params } : {}),
      ...(takesBody(operation)
        ? { body: { content: { 'application/json': { schema: rest } }, required: true } }
        : Object.keys(rest.shape).length > 0
          ? { query: rest }
          : {}),
    },
    responses: {
      [status]: { description: 'Success', content: { 'application/json': { schema: operation.output } } },
      400: errorResponse('Invalid input: `issues` names each wrong field.'),
      401: errorResponse('Missing or unknown API key.'),
      403: errorResponse('The key’s role may not call this.'),
      404: errorResponse('Not found.'),
      409: errorResponse('Conflicts with the current state.'),
      413: errorResponse('The body is larger than this route takes (`details.limitBytes`).'),
      422: errorResponse('Not allowed in the current state.'),
      429: errorResponse('Too many requests from this key or address: wait `Retry-After` seconds.'),
    },
  });
}

/** One REST route per operation; the route only gathers input and hands it to the runner. */
export function mountOperationRoutes(app: OpenAPIHono<AppEnv>, services: Services): void {
  // Literal paths before parameterized ones, so `/patients/search` is not read as `/patients/{id}`.
  const byPathSpecificity = [...services.registry.operations].sort((a, b) => pathKeys(a).length - pathKeys(b).length);
  for (const operation of byPathSpecificity) {
    document(app, operation);
    const path = API_BASE + operation.http.path.replace(/\{(\w+)\}/g, ':$1');
    app.on(operation.http.method.toUpperCase(), path, async (c) => {
      const outcome = await runOperation(services, c.get('caller'), {
        tool: operation.name,
        input: await requestInput(c, operation),
        idempotencyKey: c.req.header('idempotency-key'),
      });
      c.header('X-Tool-Run-Id', outcome.runId);
      if (!outcome.ok) throw outcome.error;
      if (outcome.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(outcome.output as object, operation.http.status ?? 200);
    });
  }
}
