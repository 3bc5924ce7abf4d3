import type { Context } from 'hono';
import twilio from 'twilio';
import type { Services, TenantInfo } from '../../context.js';
import { forbidden, invalid, notFound } from '../../errors.js';
import { countedFailure } from '../../http/rate-limits.js';
import type { NumberOwner } from '../../modules/conversations/twilio-numbers.js';

export type TwilioRequest = { params: Record<string, string>; tenant: TenantInfo };

/** `whatsapp:+1415…` → `+1415…`. */
export const bareAddress = (address: string | undefined): string => (address ?? '').replace(/^whatsapp:/, '');

/**
 * The URL Twilio signed: PUBLIC_BASE_URL (where Twilio reaches us, through any proxy) plus the path
 * and query of this request. Without PUBLIC_BASE_URL, the URL the request arrived at.
 */
function signedUrl(c: Context, services: Services): string {
  const arrived = new URL(c.req.url);
  const base = services.config.publicBaseUrl;
  if (!base) return arrived.toString();
  return `${base.replace(/\/$/, '')}${arrived.pathname}${arrived.search}`;
}

/**
 * The webhook's fields as Twilio sent them. Twilio always posts `application/x-www-form-urlencoded`;
 * any other body has none. Parsed with URLSearchParams: Request.formData (what parseBody uses) costs
 * several times more on a path every message takes.
 */
async function formParams(c: Context): Promise<Record<string, string>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) return {};
  return Object.fromEntries(new URLSearchParams(await c.req.text()));
}

const NUL = /\u0000/g;

/**
 * The fields without NUL characters, in names and values. PostgreSQL refuses NUL in text and jsonb,
 * so a message carrying one would fail on every redelivery; a NUL means nothing to a person, so it is
 * dropped rather than the message refused. Done after the signature check, which covers the fields
 * as sent.
 */
const withoutNul = (params: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(params).map(([name, value]) => [name.replace(NUL, ''), value.replace(NUL, '')]));

/** The clinic a webhook is for: its auth token (to check the signature) and who it is. */
export type WebhookClinic = NumberOwner;

type ClinicRow = { auth_token: string; id: string; slug: string; name: string; time_zone: string; default_country: string };

const clinic = (row: ClinicRow | undefined): WebhookClinic | null =>
  row ? { authToken: row.auth_token, tenant: { id: row.id, slug: row.slug, name: row.name, timeZone: row.time_zone, defaultCountry: row.default_country } } : null;

const notSigned = () => forbidden('The request is not signed by Twilio for this clinic (X-Twilio-Signature).');

/**
 * Reads a Twilio webhook: its form fields (without NUL characters), the clinic it is for, and proof
 * that Twilio sent it (`X-Twilio-Signature`, HMAC with the clinic's auth token). Unsigned: 403 before
 * the body is read; unknown number: 404; forged: 403. Nothing is stored, and each counts as a failed
 * attempt of the client's address (429 past its limit). A signed webhook is never limited by address:
 * Twilio sends every clinic's webhooks from a few addresses.
 */
export async function readTwilioRequest<Found extends WebhookClinic>(
  c: Context,
  services: Services,
  findClinic: (params: Record<string, string>) => Promise<Found | null>,
): Promise<TwilioRequest & { found: Found }> {
  const signature = c.req.header('x-twilio-signature');
  if (!signature) throw await countedFailure(c, services, notSigned());
  const sent = await formParams(c);
  const params = withoutNul(sent);
  // The clinic is looked up by the cleaned fields (a NUL in To matches no number, and must not reach
  // the query); the signature is checked over the fields as sent.
  const signedBy = (clinic: Found) => twilio.validateRequest(clinic.authToken, signature, signedUrl(c, services), sent);
  let found = await findClinic(params);
  if (found && !signedBy(found)) {
    // The number's owner is remembered for a few seconds (src/modules/conversations/twilio-numbers.ts):
    // a token changed by another process since is read afresh before the webhook is refused.
    services.twilioNumbers.forget(bareAddress(params.To));
    found = await findClinic(params);
  }
  if (!found) throw await countedFailure(c, services, notFound('Clinic number or message', bareAddress(params.To) || params.MessageSid || '(none)'));
  if (!signedBy(found)) throw await countedFailure(c, services, notSigned());
  return { params, tenant: found.tenant, found };
}

const CLINIC_COLUMNS = 'a.auth_token, t.id, t.slug, t.name, t.time_zone, t.default_country';

/** The clinic whose SMS/voice or WhatsApp number the message was sent to: the number's one owner (`twilio_number`). */
export const clinicByNumber = (services: Services) => async (params: Record<string, string>) => {
  const number = bareAddress(params.To);
  if (!number) throw invalid('To is missing.', [{ path: 'To', message: 'required' }]);
  return (await services.twilioNumbers.find(number)) ?? null;
};

/**
 * The clinic that sent the communication a status callback is about, and the communication: by our
 * id, which the callback's URL carries (src/channels/twilio/gateway.ts), or else by Twilio's MessageSid
 * (callbacks of messages sent before the URL carried it). Null when neither is known here.
 */
export const clinicByReport = (services: Services, communicationId: string | undefined) => async (params: Record<string, string>) => {
  const [row] = await services.sql.query<ClinicRow & { communication_id: string }>(
    communicationId
      ? { sql: `select ${CLINIC_COLUMNS}, m.id as communication_id from communication m join twilio_account a on a.tenant_id = m.tenant_id join tenant t on t.id = m.tenant_id where m.id = ?`, params: [communicationId] }
      : { sql: `select ${CLINIC_COLUMNS}, m.id as communication_id from communication m join twilio_account a on a.tenant_id = m.tenant_id join tenant t on t.id = m.tenant_id where m.channel_message_id = ?`, params: [params.MessageSid ?? ''] },
  );
  const found = clinic(row);
  return found && row ? { ...found, communicationId: row.communication_id } : null;
};
