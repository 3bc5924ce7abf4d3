import { createHmac } from 'node:crypto';
import { lookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { createContext, type Services, type TenantInfo } from '../../context.js';
import { DomainEvent, recordEvent } from '../../events.js';
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

/**
 * The delivery's body: the event as the feed shows it; an n8n endpoint's also carries the correlation
 * id and the signed URL its workflow calls back.
 */
function deliveryBody(services: Services, endpoint: WebhookEndpoint, event: DomainEvent, now: Date): string {
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
 * leaves the endpoint's failing streak alone.
 */
export const deliverWebhook: JobHandler = async ({ services, tenant, job }) => {
  const em = tenantEntityManager(services, tenant.id);
  const endpoint = await em.findOne(WebhookEndpoint, { id: String(job.payload.endpointId) });
  const event = await em.findOne(DomainEvent, { id: String(job.payload.eventId) });
  const test = job.payload.test === true;
  // Deleted or turned off since: nothing is sent.
  if (!endpoint || !event || (!endpoint.enabled && !test)) return;

  const now = services.clock.now();
  const timestamp = Math.floor(now.getTime() / 1000);
  const body = deliveryBody(services, endpoint, event, now);
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
  const outcome = { answer, failure, durationMs: performance.now() - started, now };
  await record(services, tenant, endpoint, event, job.attempts, outcome, { streak: !test });
  if (failure === undefined || test) return;
  if (!endpoint.enabled) return; // just turned off: no more tries
  throw new RetryAfter(`Delivery of ${event.id} to ${endpoint.id} failed: ${failure}`, RETRY_DELAYS_MS[Math.min(job.attempts, RETRY_DELAYS_MS.length) - 1]);
};

/** Keeps the attempt, and the endpoint's failing streak: a success ends it, five days of it turn the endpoint off. */
async function record(
  services: Services,
  tenant: TenantInfo,
  endpoint: WebhookEndpoint,
  event: DomainEvent,
  attempt: number,
  outcome: { answer: Answer | undefined; failure: string | undefined; durationMs: number; now: Date },
  options: { streak: boolean },
): Promise<void> {
  const em = tenantEntityManager(services, endpoint.tenantId);
  await em.transactional(async (transaction) => {
    transaction.create(WebhookAttempt, {
      id: newId(),
      tenantId: endpoint.tenantId,
      endpointId: endpoint.id,
      eventId: event.id,
      attempt,
      succeeded: outcome.failure === undefined,
      responseStatus: outcome.answer?.status ?? null,
      responseBody: outcome.answer?.body.replace(/\0/g, '') ?? null,
      error: outcome.failure ?? null,
      durationMs: outcome.durationMs,
      createdAt: outcome.now,
    });
    const current = options.streak ? await transaction.findOne(WebhookEndpoint, { id: endpoint.id }) : null;
    if (!current) return;
    if (outcome.failure === undefined) current.failingSince = null;
    else {
      current.failingSince ??= outcome.now;
      if (outcome.now.getTime() - current.failingSince.getTime() >= DISABLE_AFTER_MS && current.enabled) {
        current.enabled = false;
        current.disabledReason = `Deliveries failed for 5 days; the last: ${outcome.failure}.`;
        const ctx = createContext(services, { tenant, actor: { kind: 'system', id: 'webhooks', role: 'system' }, channel: 'system' }, transaction);
        recordEvent(ctx, { type: 'webhook_endpoint.disabled', entityType: 'webhook_endpoint', entityId: endpoint.id, payload: {} });
      }
    }
    endpoint.enabled = current.enabled;
  });
}
