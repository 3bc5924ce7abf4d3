import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { invalid, notFound, type FieldIssue } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { WebhookEndpoint } from './entities.js';
import type { CreateEndpointInput, EndpointView, UpdateEndpointInput } from './schema.js';
import { assertDeliverableUrl } from './url-safety.js';

/** How long a rotated-out secret keeps signing deliveries beside the new one. */
export const PREVIOUS_SECRET_MS = 24 * 3_600_000;

/** A Standard Webhooks secret: `whsec_` and 24 random bytes in base64. */
const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

export const endpointView = (endpoint: WebhookEndpoint): EndpointView => ({
  id: endpoint.id,
  kind: endpoint.kind,
  url: endpoint.url,
  description: endpoint.description ?? null,
  eventTypes: endpoint.eventTypes,
  enabled: endpoint.enabled,
  disabledReason: endpoint.disabledReason ?? null,
  previousSecretValidUntil: endpoint.previousSecret && endpoint.previousSecretUntil ? endpoint.previousSecretUntil.toISOString() : null,
  callbackRole: endpoint.callbackRole ?? null,
  callbackTools: endpoint.callbackTools ?? null,
  createdAt: endpoint.createdAt.toISOString(),
  updatedAt: endpoint.updatedAt.toISOString(),
});

const distinct = (types: readonly string[]) => [...new Set(types)];

export async function requireEndpoint(ctx: AppContext, id: string): Promise<WebhookEndpoint> {
  const endpoint = await ctx.em.findOne(WebhookEndpoint, { id });
  if (!endpoint) throw notFound('Webhook endpoint', id);
  return endpoint;
}

/** Callback rights belong to n8n endpoints, and name tools that exist. */
function assertCallbackRights(ctx: AppContext, kind: WebhookEndpoint['kind'], rights: Pick<WebhookEndpoint, 'callbackRole' | 'callbackTools'>): void {
  const issues: FieldIssue[] = [];
  if (kind !== 'n8n') {
    if (rights.callbackRole) issues.push({ path: 'callbackRole', message: 'only an n8n endpoint makes callbacks' });
    if (rights.callbackTools) issues.push({ path: 'callbackTools', message: 'only an n8n endpoint makes callbacks' });
  }
  (rights.callbackTools ?? []).forEach((tool, index) => {
    if (!ctx.services.registry.get(tool)) issues.push({ path: `callbackTools.${index}`, message: `no tool is named ${tool}` });
  });
  if (issues.length > 0) throw invalid(`Invalid callback rights: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, issues);
}

export async function createEndpoint(ctx: AppContext, input: z.output<typeof CreateEndpointInput>) {
  assertCallbackRights(ctx, input.kind, { callbackRole: input.callbackRole, callbackTools: input.callbackTools && distinct(input.callbackTools) });
  const url = await assertDeliverableUrl(input.url, ctx.services.config.webhooks.allowedHosts);
  const now = ctx.clock.now();
  const endpoint = ctx.em.create(WebhookEndpoint, {
    id: newId(),
    tenantId: ctx.tenant.id,
    kind: input.kind,
    url: url.href,
    description: input.description ?? null,
    eventTypes: distinct(input.eventTypes),
    enabled: input.enabled,
    secret: newSecret(),
    previousSecret: null,
    previousSecretUntil: null,
    disabledReason: null,
    failingSince: null,
    callbackRole: input.callbackRole,
    callbackTools: input.callbackTools && distinct(input.callbackTools),
    createdAt: now,
    updatedAt: now,
  });
  recordEvent(ctx, { type: 'webhook_endpoint.created', entityType: 'webhook_endpoint', entityId: endpoint.id, payload: {} });
  return { ...endpointView(endpoint), secret: endpoint.secret };
}

export async function listEndpoints(ctx: AppContext) {
  const endpoints = await ctx.em.find(WebhookEndpoint, {}, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return { items: endpoints.map(endpointView) };
}

export async function getEndpoint(ctx: AppContext, id: string) {
  return endpointView(await requireEndpoint(ctx, id));
}

export async function updateEndpoint(ctx: AppContext, input: z.output<typeof UpdateEndpointInput>) {
  const { id, ...changes } = input;
  const fields = Object.keys(changes).filter((key) => changes[key as keyof typeof changes] !== undefined);
  if (fields.length === 0) throw invalid('Give at least one field to change.', [{ path: '(input)', message: 'no changes' }]);
  const endpoint = await requireEndpoint(ctx, id);
  if (changes.callbackTools) changes.callbackTools = distinct(changes.callbackTools);
  assertCallbackRights(ctx, endpoint.kind, { callbackRole: changes.callbackRole ?? null, callbackTools: changes.callbackTools ?? null });
  if (changes.callbackRole !== undefined) endpoint.callbackRole = changes.callbackRole;
  if (changes.callbackTools !== undefined) endpoint.callbackTools = changes.callbackTools;
  if (changes.url !== undefined) endpoint.url = (await assertDeliverableUrl(changes.url, ctx.services.config.webhooks.allowedHosts)).href;
  if (changes.eventTypes !== undefined) endpoint.eventTypes = distinct(changes.eventTypes);
  if (changes.description !== undefined) endpoint.description = changes.description;
  if (changes.enabled !== undefined) {
    endpoint.enabled = changes.enabled;
    if (changes.enabled) Object.assign(endpoint, { disabledReason: null, failingSince: null });
  }
  endpoint.updatedAt = ctx.clock.now();
  recordEvent(ctx, { type: 'webhook_endpoint.updated', entityType: 'webhook_endpoint', entityId: endpoint.id, payload: { fields } });
  return endpointView(endpoint);
}

export async function deleteEndpoint(ctx: AppContext, id: string) {
  const endpoint = await requireEndpoint(ctx, id);
  ctx.em.remove(endpoint);
  recordEvent(ctx, { type: 'webhook_endpoint.deleted', entityType: 'webhook_endpoint', entityId: endpoint.id, payload: {} });
  return { id, deleted: true as const };
}

/** A new secret; the old one keeps signing beside it for 24 hours (a second rotation ends that at once). */
export async function rotateSecret(ctx: AppContext, id: string) {
  const endpoint = await requireEndpoint(ctx, id);
  const now = ctx.clock.now();
  endpoint.previousSecret = endpoint.secret;
  endpoint.previousSecretUntil = new Date(now.getTime() + PREVIOUS_SECRET_MS);
  endpoint.secret = newSecret();
  endpoint.updatedAt = now;
  recordEvent(ctx, { type: 'webhook_endpoint.secret_rotated', entityType: 'webhook_endpoint', entityId: endpoint.id, payload: {} });
  return { ...endpointView(endpoint), secret: endpoint.secret };
}
