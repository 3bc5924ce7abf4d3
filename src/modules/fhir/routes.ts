import type { OpenAPIHono } from '@hono/zod-openapi';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Services } from '../../context.js';
import { AppError, invalid, toAppError } from '../../errors.js';
import { requireApiKey } from '../../http/auth.js';
import { BODY_LIMITS, limitBody } from '../../http/body-limit.js';
import type { AppEnv } from '../../http/env.js';
import { runOperation } from '../../tools/runner.js';
import { FHIR_PATH } from './bundle.js';
import { operationOutcome, outcomeOf } from './outcome.js';
import { fhirTypeNames } from './resources/index.js';
import { FhirBundleJson, FhirResourceJson } from './schema.js';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

const fhirJson = (c: Context, body: unknown, status: number, headers: Record<string, string> = {}) =>
  c.body(JSON.stringify(body), status as 200, { ...headers, 'Content-Type': FHIR_JSON });

const outcome = (c: Context, status: number, body: OperationOutcome, headers?: Record<string, string>) => fhirJson(c, body, status, headers);

/** The FHIR door's routes, documented in /openapi.json beside the JSON API. */
function documentRoutes(app: OpenAPIHono<AppEnv>): void {
  const content = (schema: z.ZodType) => ({ content: { 'application/fhir+json': { schema } } });
  const errors = {
    400: { description: 'An unknown resource type, search parameter or modifier, or a value it cannot read (the issue names it): an OperationOutcome.', ...content(FhirResourceJson) },
    401: { description: 'No valid API key: an OperationOutcome.', ...content(FhirResourceJson) },
    404: { description: 'No such resource in this clinic: an OperationOutcome.', ...content(FhirResourceJson) },
  };
  const type = z.enum(fhirTypeNames as [string, ...string[]]);
  const routes = [
    { path: '/metadata', operationId: 'fhir_r4_metadata', summary: 'FHIR CapabilityStatement', params: undefined, body: FhirResourceJson },
    { path: '/{type}', operationId: 'fhir_r4_search', summary: 'FHIR search (the query string holds the search parameters)', params: z.object({ type }), body: FhirBundleJson },
    { path: '/{type}/{id}', operationId: 'fhir_r4_read', summary: 'FHIR read', params: z.object({ type, id: z.string() }), body: FhirResourceJson },
    { path: '/Patient/{id}/$everything', operationId: 'fhir_r4_patient_everything', summary: 'FHIR Patient/$everything', params: z.object({ id: z.string() }), body: FhirBundleJson },
  ];
  for (const route of routes) {
    app.openAPIRegistry.registerPath({
      method: 'get',
      path: `${FHIR_PATH}${route.path}`,
      operationId: route.operationId,
      summary: route.summary,
      description: 'Read-only FHIR R4, run through the same tools as MCP (fhir_read, fhir_search, fhir_patient_everything, fhir_capabilities), so every call is in the run log.',
      tags: ['fhir'],
      security: [{ bearerAuth: [] }],
      request: route.params ? { params: route.params } : {},
      responses: { 200: { description: 'FHIR JSON.', ...content(route.body) }, ...errors },
    });
  }
}

/**
 * FHIR R4 under /fhir/R4, read-only: each route hands its input to one of the fhir_* tools through
 * the runner (so it is validated, authorized and logged as every call is) and answers
 * `application/fhir+json`, errors as OperationOutcome with the same status the JSON API gives.
 */
export function mountFhirRoutes(app: OpenAPIHono<AppEnv>, services: Services): void {
  const fhir = new Hono<AppEnv>();
  fhir.onError((error, c) => {
    const failure = error instanceof AppError ? error : toAppError(error);
    if (failure.code === 'internal') services.log.error({ err: error, requestId: c.get('requestId'), path: c.req.path }, 'unhandled error');
    return outcome(c, failure.status, operationOutcome(failure), failure.headers);
  });
  // Nothing here reads a body; the limit stands anyway, as on every route.
  fhir.use('*', limitBody(() => BODY_LIMITS.json));
  fhir.use('*', requireApiKey(services, { channel: 'fhir', writes: () => false }));

  const run = async (c: Context<AppEnv>, tool: string, input: Record<string, unknown>) => {
    const result = await runOperation(services, c.get('caller'), { tool, input });
    c.header('X-Tool-Run-Id', result.runId);
    if (!result.ok) throw result.error;
    return fhirJson(c, result.output, 200);
  };

  fhir.get('/metadata', (c) => run(c, 'fhir_capabilities', {}));
  fhir.get('/:type/:id/:operation', (c) => {
    const { type, id, operation } = c.req.param();
    if (operation !== '$everything' || type !== 'Patient') {
      throw invalid(`${type}/{id}/${operation} is not supported: the one operation is Patient/{id}/$everything.`, [{ path: 'operation', message: 'unsupported operation' }]);
    }
    return run(c, 'fhir_patient_everything', { id });
  });
  fhir.get('/:type/:id', (c) => run(c, 'fhir_read', { type: c.req.param('type'), id: c.req.param('id') }));
  fhir.get('/:type', (c) => run(c, 'fhir_search', { type: c.req.param('type'), params: c.req.queries() }));
  fhir.all('*', (c) =>
    c.req.method === 'GET'
      ? outcome(c, 404, outcomeOf('not-found', `No FHIR interaction at ${c.req.path}.`))
      : outcome(c, 405, outcomeOf('not-supported', 'This FHIR API is read-only: read, search and Patient/$everything, with GET.'), { Allow: 'GET' }),
  );

  app.route(FHIR_PATH, fhir);
  documentRoutes(app);
}
