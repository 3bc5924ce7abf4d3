import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import type { Caller, Services } from '../../context.js';
import { forbidden, fromZodError, invalid, notFound, unauthorized } from '../../errors.js';
import type { AppEnv } from '../../http/env.js';
import { countedFailure } from '../../http/rate-limits.js';
import { Id } from '../../schema.js';
import { ErrorBody } from '../../tools/rest.js';
import { runOperation } from '../../tools/runner.js';
import { Tenant } from '../tenancy/entities.js';
import { tenantInfo } from '../tenancy/service.js';
import { WebhookEndpoint } from './entities.js';
import { CALLBACK_PATH, correlationValid, N8N_SIGNATURE_HEADER, signedBy, signingSecrets } from './n8n.js';

const CallbackBody = z.strictObject({
  tool: z.string().min(1).max(100).describe('The tool (operation) to run, as listed by GET /agents/tools: create_ticket, add_ticket_note, …'),
  input: z.unknown().describe('Its input; validated against the tool’s input schema.'),
});

const Correlation = z.object({ correlationId: Id, expires: z.string().max(20), signature: z.string().max(200) });

const notSigned = () => unauthorized(`The body is not signed with this endpoint's secret (${N8N_SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of the raw body>).`);

function parseBody(raw: Buffer): z.infer<typeof CallbackBody> {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalid('The request body is not valid JSON.', [{ path: 'body', message: 'invalid JSON' }]);
  }
  const body = CallbackBody.safeParse(json);
  if (!body.success) throw fromZodError(body.error);
  return body.data;
}

/**
 * The caller a callback runs as: the endpoint's clinic, actor kind n8n, the endpoint's role and tool
 * list. Its request id is the delivery's correlation id when the callback came by the signed
 * callbackUrl, so the run log ties the run to the event that started the workflow.
 */
async function callbackCaller(c: Context<AppEnv>, services: Services, endpointId: string, raw: Buffer): Promise<Caller> {
  const em = services.orm.em.fork();
  const endpoint = Id.safeParse(endpointId).success ? await em.findOne(WebhookEndpoint, { id: endpointId, kind: 'n8n' }, { filters: false }) : null;
  if (!endpoint) throw await countedFailure(c, services, notFound('n8n endpoint', endpointId));
  const now = services.clock.now();
  const secrets = signingSecrets(endpoint, now);
  if (!signedBy(secrets, raw, c.req.header(N8N_SIGNATURE_HEADER))) throw await countedFailure(c, services, notSigned());

  const query = c.req.query();
  let correlationId: string | undefined;
  if (query.correlationId !== undefined) {
    const correlation = Correlation.safeParse(query);
    if (!correlation.success || !correlationValid(secrets, endpoint.id, correlation.data, now)) {
      throw forbidden('The callback URL’s correlation is altered or expired: use the callbackUrl of a delivery from the last 7 days, or none.');
    }
    correlationId = correlation.data.correlationId;
  }
  if (!endpoint.enabled) throw forbidden('This endpoint is turned off: its callbacks are refused until it is turned on.');
  if (!endpoint.callbackRole) throw forbidden('This endpoint has no callback rights: give it a callbackRole (and optionally callbackTools).');
  const tenant = await em.findOneOrFail(Tenant, { id: endpoint.tenantId }, { filters: false });
  return {
    tenant: tenantInfo(tenant),
    actor: { kind: 'n8n', id: `webhook_endpoint:${endpoint.id}`, role: endpoint.callbackRole },
    channel: 'n8n',
    requestId: correlationId ?? c.get('requestId'),
    ...(endpoint.callbackTools ? { allowedTools: endpoint.callbackTools } : {}),
  };
}

/**
 * `POST /integrations/n8n/callbacks/{endpointId}`: an n8n workflow runs a tool, signed with its
 * endpoint's secret, through the same runner (checks, run log, Idempotency-Key) as every other door.
 */
export function mountN8nCallbacks(app: OpenAPIHono<AppEnv>, services: Services): void {
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: `${CALLBACK_PATH}/{endpointId}`,
    operationId: 'n8n_callback',
    summary: 'Run a tool from an n8n workflow',
    description:
      `Authenticated by \`${N8N_SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of the raw body, keyed with the endpoint's secret text>\`, not by an API key. ` +
      'Runs the tool with the role (and tool list) the n8n endpoint was given, logged with actor kind n8n. An Idempotency-Key header makes a repeated call answer with the first result. ' +
      'Called by a delivery’s callbackUrl, the run’s request id is the delivery’s correlationId.',
    tags: ['webhooks'],
    request: {
      params: z.object({ endpointId: Id }),
      body: { content: { 'application/json': { schema: CallbackBody } }, required: true },
    },
    responses: {
      200: { description: 'The run id and the tool’s output.' },
      400: { description: 'Invalid body or input: `issues` names each wrong field.', content: { 'application/json': { schema: ErrorBody } } },
      401: { description: 'Not signed with the endpoint’s secret.', content: { 'application/json': { schema: ErrorBody } } },
      403: { description: 'The endpoint may not run this tool, is turned off, or the callback URL was altered or expired.', content: { 'application/json': { schema: ErrorBody } } },
      404: { description: 'No n8n endpoint has this id.', content: { 'application/json': { schema: ErrorBody } } },
    },
  });
  app.post(`${CALLBACK_PATH}/:endpointId`, async (c) => {
    const raw = Buffer.from(await c.req.arrayBuffer());
    const caller = await callbackCaller(c, services, c.req.param('endpointId'), raw);
    const body = parseBody(raw);
    const outcome = await runOperation(services, caller, { tool: body.tool, input: body.input, idempotencyKey: c.req.header('idempotency-key') });
    c.header('X-Tool-Run-Id', outcome.runId);
    if (!outcome.ok) throw outcome.error;
    return c.json({ runId: outcome.runId, replayed: outcome.replayed, output: outcome.output });
  });
}
