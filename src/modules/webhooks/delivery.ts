import { createHmac } from 'node:crypto';
import { lookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { createContext, type Services, type TenantInfo } from '../../context.js';
import { insertRows } from '../../db/statement.js';
import type { DomainEvent } from '../../events.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { RetryAfter, type JobHandler } from '../../jobs/worker.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { WebhookAttempt, WebhookEndpoint } from './entities.js';
import { eventData } from './events.js';
import { N8N_SIGNATURE_HEADER, n8nFields, n8nSignature, signingSecrets } from './n8n.js';
import { assertDeliverableUrl, hostOf, isPublicAddress } from './url-safety.js';

/** The job the `domain_event` trigger inserts per (endpoint, event): see the webhook_deliveries migration. */
export const DELIVER_WEBHOOK_JOB = 'webhook.deliver';
/** After the first try (at once): how long before each next one. The job's max_attempts (8) ends it. */
const RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
/** An endpoint whose deliveries have failed this long is turned off. */
const DISABLE_AFTER_MS = 5 * 86_400_000;
const ANSWER_TIMEOUT_MS = 10_000;
const KEPT_ANSWER_BYTES = 1_024;

/**
 * `webhook-signature` (Standard Webhooks): `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` with
 * each secret (its base64 part after `whsec_`), space-separated: during a rotation, the new and the old.
 */
export function webhookSignature(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  return secrets
    .map((secret) => `v1,${createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64')}`)
    .join(' ');
}

/** DNS for deliveries: a name that resolves to any address that is not public fails the connection (no rebinding after the check). */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const blocked = addresses.find((entry) => !isPublicAddress(entry.address));
    if (blocked) return callback(Object.assign(new Error(`${hostname} resolves to ${blocked.address}, not a public address`), { code: 'ENOTPUBLIC' }), '', 0);
    if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};

type Answer = { status: number; body: string };

/** POSTs the body: no redirect followed, cut after 10 s, the first kilobyte of the answer kept. */
function post(url: URL, headers: Record<string, string>, body: string, checkAddresses: boolean): Promise<Answer> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, ...(checkAddresses ? { lookup: publicOnlyLookup } : {}) },
      (response) => {
        const kept: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < KEPT_ANSWER_BYTES) kept.push(chunk.subarray(0, KEPT_ANSWER_BYTES - size));
          size += chunk.length;
        });
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(kept).toString('utf8') });
        });
        response.on('error', reject);
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`)), ANSWER_TIMEOUT_MS);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}

/** What one delivery needs of its endpoint and its event, read in one statement. */
type Target = {
  endpoint: Pick<WebhookEndpoint, 'id' | 'kind' | 'url' | 'enabled' | 'secret' | 'previousSecret' | 'previousSecretUntil' | 'failingSince'>;
  event: Pick<DomainEvent, 'id' | 'type' | 'entityType' | 'entityId' | 'occurredAt' | 'payload'>;
};
type TargetRow = {
  kind: WebhookEndpoint['kind'];
  url: string;
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  failing_since: Date | null;
  type: string;
  entity_type: string;
  entity_id: string;
  occurred_at: Date;
  payload: Record<string, unknown>;
};

const TARGET = `select e.kind, e.url, e.enabled, e.secret, e.previous_secret, e.previous_secret_until, e.failing_since,
       v.type, v.entity_type, v.entity_id, v.occurred_at, v.payload
  from webhook_endpoint e join domain_event v on v.tenant_id = e.tenant_id and v.id = ?
 where e.tenant_id = ? and e.id = ?`;

/** The endpoint and the event; undefined when either is gone (the endpoint deleted since). */
async function loadTarget(services: Services, tenantId: string, endpointId: string, eventId: string): Promise<Target | undefined> {
  const [row] = await services.sql.query<TargetRow>({ sql: TARGET, params: [eventId, tenantId, endpointId] });
  if (!row) return undefined;
  return {
    endpoint: {
      id: endpointId,
      kind: row.kind,
      url: row.url,
      enabled: row.enabled,
      secret: row.secret,
      previousSecret: row.previous_secret,
      previousSecretUntil: row.previous_secret_until && new Date(row.previous_secret_until),
      failingSince: row.failing_since && new Date(row.failing_since),
    },
    event: { id: eventId, type: row.type, entityType: row.entity_type, entityId: row.entity_id, occurredAt: new Date(row.occurred_at), payload: row.payload },
  };
}

/**
 * The delivery's body: the event as the feed shows it; an n8n endpoint's also carries the correlation
 * id and the signed URL its workflow calls back.
 */
function deliveryBody(services: Services, { endpoint, event }: Target, now: Date): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.occurredAt.toISOString(),
    data: { id: event.id, entityType: event.entityType, entityId: event.entityId, ...eventData(event.payload) },
    ...(endpoint.kind === 'n8n' ? n8nFields(services, endpoint, event.id, now) : {}),
  });
}

/**
 * Delivers one event to one endpoint, keeps the attempt, and retries on its schedule while the endpoint
 * keeps failing. A test event (`test` in the job) is sent once, to a turned-off endpoint too, and
 * leaves the endpoint's failing streak alone. A success is the common case and costs one statement:
 * the attempt kept with the job's completion.
 */
export const deliverWebhook: JobHandler = async ({ services, tenant, job, complete }) => {
  const test = job.payload.test === true;
  const target = await loadTarget(services, tenant.id, String(job.payload.endpointId), String(job.payload.eventId));
  // Deleted or turned off since: nothing is sent.
  if (!target || (!target.endpoint.enabled && !test)) return;
  const { endpoint, event } = target;

  const now = services.clock.now();
  const timestamp = Math.floor(now.getTime() / 1000);
  const body = deliveryBody(services, target, now);
  const secrets = signingSecrets(endpoint, now);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'prm-agent-webhooks',
    'webhook-id': event.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': webhookSignature(secrets, event.id, timestamp, body),
    ...(endpoint.kind === 'n8n' ? { [N8N_SIGNATURE_HEADER]: n8nSignature(secrets, body) } : {}),
  };

  const started = performance.now();
  let answer: Answer | undefined;
  let failure: string | undefined;
  try {
    const allowed = services.config.webhooks.allowedHosts;
    const url = await assertDeliverableUrl(endpoint.url, allowed);
    answer = await post(url, headers, body, !allowed.includes(hostOf(url)));
    if (answer.status < 200 || answer.status >= 300) failure = `the endpoint answered ${answer.status}`;
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  const attempt: WebhookAttempt = {
    id: newId(),
    tenantId: tenant.id,
    endpointId: endpoint.id,
    eventId: event.id,
    attempt: job.attempts,
    succeeded: failure === undefined,
    responseStatus: answer?.status ?? null,
    responseBody: answer?.body.replace(/\0/g, '') ?? null,
    error: failure ?? null,
    durationMs: performance.now() - started,
    createdAt: now,
  };
  if (failure === undefined) {
    const endsStreak = endpoint.failingSince && !test ? [{ sql: `update webhook_endpoint set failing_since = null where tenant_id = ? and id = ?`, params: [tenant.id, endpoint.id] }] : [];
    await complete(services.sql, [insertRows(services.orm, WebhookAttempt, [attempt]), ...endsStreak]);
    return;
  }
  if (test) {
    await complete(services.sql, [insertRows(services.orm, WebhookAttempt, [attempt])]);
    return;
  }
  const stillEnabled = await recordFailure(services, tenant, attempt, failure);
  if (!stillEnabled) return; // just turned off: no more tries
  throw new RetryAfter(`Delivery of ${event.id} to ${endpoint.id} failed: ${failure}`, RETRY_DELAYS_MS[Math.min(job.attempts, RETRY_DELAYS_MS.length) - 1]);
};

/**
 * Keeps a failed attempt, and the endpoint's failing streak: five days of it turn the endpoint off.
 * Whether the endpoint is still on.
 */
async function recordFailure(services: Services, tenant: TenantInfo, attempt: WebhookAttempt, failure: string): Promise<boolean> {
  const em = tenantEntityManager(services, tenant.id);
  return em.transactional(async (transaction) => {
    transaction.create(WebhookAttempt, attempt);
    const endpoint = await transaction.findOne(WebhookEndpoint, { id: attempt.endpointId });
    if (!endpoint) return false;
    endpoint.failingSince ??= attempt.createdAt;
    if (attempt.createdAt.getTime() - endpoint.failingSince.getTime() >= DISABLE_AFTER_MS && endpoint.enabled) {
      endpoint.enabled = false;
      endpoint.disabledReason = `Deliveries failed for 5 days; the last: ${failure}.`;
      const ctx = createContext(services, { tenant, actor: { kind: 'system', id: 'webhooks', role: 'system' }, channel: 'system' }, transaction);
      recordEvent(ctx, { type: 'webhook_endpoint.disabled', entityType: 'webhook_endpoint', entityId: endpoint.id, payload: {} });
    }
    return endpoint.enabled;
  });
}
