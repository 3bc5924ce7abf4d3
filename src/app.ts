import { OpenAPIHono } from '@hono/zod-openapi';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import type { Services } from './context.js';
import { AppError } from './errors.js';
import { requireApiKey } from './http/auth.js';
import { BODY_LIMITS, limitBody } from './http/body-limit.js';
import { mountDocs } from './http/docs.js';
import { mountHealth } from './http/health.js';
import { limitRequestsWithoutKey } from './http/rate-limits.js';
import { responseHeaders } from './http/response-headers.js';
import { restWrites } from './http/writes.js';
import type { AppEnv } from './http/env.js';
import { mountAgentRoutes } from './modules/agents/routes.js';
import { FHIR_PATH } from './modules/fhir/bundle.js';
import { mountFhirRoutes } from './modules/fhir/routes.js';
import { mountMediaRoutes, UPLOAD_PATH } from './modules/media/routes.js';
import { uploadBodyLimit } from './modules/media/upload.js';
import { mountTwilioRoutes } from './channels/twilio/routes.js';
import { mountN8nCallbacks } from './modules/webhooks/callback-route.js';
import { CALLBACK_PATH } from './modules/webhooks/n8n.js';
import { createMcpServer } from './tools/mcp.js';
import { API_BASE, mountOperationRoutes } from './tools/rest.js';

export const VERSION = '0.1.0';

/** The HTTP service: REST + OpenAPI under /api/v1/prm, FHIR R4 under /fhir/R4, MCP at /mcp, health, docs. */
export function createApp(services: Services): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.use(requestId());
  app.use(responseHeaders());
  app.onError((error, c) => {
    if (error instanceof AppError) return c.json(error.toJSON(), error.status as 400, error.headers);
    if (error instanceof HTTPException) return error.getResponse();
    services.log.error({ err: error, requestId: c.get('requestId'), path: c.req.path }, 'unhandled error');
    return c.json({ error: { code: 'internal', message: 'Something went wrong on our side. The error was logged.', requestId: c.get('requestId') } }, 500);
  });
  // Keyed routes count against their key, or as failed attempts; every other request against its address.
  app.use(limitRequestsWithoutKey(services, [API_BASE, FHIR_PATH, '/mcp', '/channels/twilio', CALLBACK_PATH]));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}.` } }, 404));

  mountHealth(app, services, { version: VERSION });

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', description: 'An API key: `npm run keys -- create`.' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'PRM Agent API', version: VERSION, description: 'Patients, appointments, tickets and the tool run log of a clinic. Every route is also an MCP tool.' },
  });
  mountDocs(app);

  // Before anything reads a body, and before the key is looked up: a body over the limit is never read.
  const knowledgeArticle = `${API_BASE}/vector/ingest/knowledge`;
  const mediaUploadLimit = uploadBodyLimit(services);
  app.use(
    `${API_BASE}/*`,
    limitBody((path) => (path === knowledgeArticle ? BODY_LIMITS.knowledgeArticle : path === UPLOAD_PATH ? mediaUploadLimit : BODY_LIMITS.json), {
      countedByRoute: (path) => path === UPLOAD_PATH,
    }),
  );
  app.use('/mcp', limitBody(() => BODY_LIMITS.json));
  app.use('/channels/twilio/*', limitBody(() => BODY_LIMITS.twilio));
  app.use(`${CALLBACK_PATH}/*`, limitBody(() => BODY_LIMITS.json));

  const writes = restWrites({ base: API_BASE, operations: services.registry.operations, alsoWrites: [`POST ${API_BASE}/agents/run`, `POST ${UPLOAD_PATH}`] });
  app.use(`${API_BASE}/*`, requireApiKey(services, { channel: 'rest', writes }));
  mountAgentRoutes(app, services);
  mountMediaRoutes(app, services);
  mountOperationRoutes(app, services);

  // FHIR R4: its own key check and error answers (OperationOutcome), the same tools through the runner.
  mountFhirRoutes(app, services);

  mountTwilioRoutes(app, services);
  mountN8nCallbacks(app, services);

  // Which tool an MCP message calls is in its body, unread here: every message counts as a write.
  app.use('/mcp', requireApiKey(services, { channel: 'mcp', actorKind: 'mcp', writes: () => true }));
  app.all('/mcp', async (c) => {
    // Stateless: one server and transport per request, bound to this request's tenant and key.
    const caller = c.get('caller');
    const server = createMcpServer(services, () => Promise.resolve(caller));
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    const response = await transport.handleRequest(c.req.raw);
    await server.close();
    return response;
  });

  return app;
}
