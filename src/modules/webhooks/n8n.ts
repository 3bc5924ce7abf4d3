import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Services } from '../../context.js';
import type { WebhookEndpoint } from './entities.js';

/**
 * n8n's side of a subscription. Its Crypto node computes an HMAC with a text secret (UTF-8), not with
 * the base64 key Standard Webhooks uses, so n8n deliveries also carry `x-prm-signature`:
 * `sha256=<hex HMAC-SHA256 of the raw body, keyed with the whole secret text (whsec_…)>`, which the
 * Crypto node can compute; callbacks are signed the same way.
 */
export const N8N_SIGNATURE_HEADER = 'x-prm-signature';
/** Where an n8n workflow calls back: authenticated by the signature, not by an API key. */
export const CALLBACK_PATH = '/integrations/n8n/callbacks';
/** How long a delivery's callbackUrl stays valid: a workflow may wait days (an n8n Wait node) before calling. */
const CALLBACK_URL_MS = 7 * 86_400_000;

const hmacHex = (secret: string, text: string | Buffer) => createHmac('sha256', secret).update(text).digest('hex');

/** `sha256=<hex>` per secret, space-separated (during a rotation, the new one and the old). */
export const n8nSignature = (secrets: readonly string[], body: string | Buffer): string => secrets.map((secret) => `sha256=${hmacHex(secret, body)}`).join(' ');

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Whether one of the header's signatures is the body's with one of the secrets. */
export function signedBy(secrets: readonly string[], body: Buffer, header: string | undefined): boolean {
  const given = (header ?? '').split(' ').filter((value) => value !== '');
  return secrets.some((secret) => given.some((value) => sameText(value, `sha256=${hmacHex(secret, body)}`)));
}

/** The secrets that sign now: the current one, and a rotated-out one for its last 24 hours. */
export const signingSecrets = (endpoint: Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretUntil'>, now: Date): string[] => [
  endpoint.secret,
  ...(endpoint.previousSecret && endpoint.previousSecretUntil && endpoint.previousSecretUntil > now ? [endpoint.previousSecret] : []),
];

const correlationText = (endpointId: string, correlationId: string, expires: number) => `${endpointId}.${correlationId}.${expires}`;

/**
 * What an n8n delivery adds to its payload: the correlation id (the event's) and the URL to call back,
 * signed, so a callback carrying it is tied to this delivery in the run log.
 */
export function n8nFields(services: Services, endpoint: Pick<WebhookEndpoint, 'id' | 'secret'>, eventId: string, now: Date): { correlationId: string; callbackUrl: string } {
  const expires = Math.floor((now.getTime() + CALLBACK_URL_MS) / 1000);
  const base = (services.config.publicBaseUrl ?? `http://127.0.0.1:${services.config.port}`).replace(/\/$/, '');
  const query = new URLSearchParams({ correlationId: eventId, expires: String(expires), signature: hmacHex(endpoint.secret, correlationText(endpoint.id, eventId, expires)) });
  return { correlationId: eventId, callbackUrl: `${base}${CALLBACK_PATH}/${endpoint.id}?${query}` };
}

/** Whether a callback URL's correlation was signed by the endpoint and has not expired. */
export function correlationValid(secrets: readonly string[], endpointId: string, query: { correlationId: string; expires: string; signature: string }, now: Date): boolean {
  const expires = Number(query.expires);
  if (!Number.isInteger(expires) || expires * 1000 < now.getTime()) return false;
  return secrets.some((secret) => sameText(query.signature, hmacHex(secret, correlationText(endpointId, query.correlationId, expires))));
}
