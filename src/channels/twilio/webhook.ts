import type { Context } from 'hono';
import twilio from 'twilio';
import type { Services, TenantInfo } from '../../context.js';
import { forbidden, invalid, notFound } from '../../errors.js';
import { Message, TwilioAccount } from '../../modules/conversations/entities.js';
import { Tenant } from '../../modules/tenancy/entities.js';
import { tenantInfo } from '../../modules/tenancy/service.js';

export type TwilioRequest = { params: Record<string, string>; account: TwilioAccount; tenant: TenantInfo };

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

async function formParams(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  return Object.fromEntries(Object.entries(body).flatMap(([key, value]) => (typeof value === 'string' ? [[key, value]] : [])));
}

/**
 * Reads a Twilio webhook: its form fields, the clinic it is for, and proof that Twilio sent it
 * (`X-Twilio-Signature`, HMAC with the clinic's auth token). Unknown number: 404; unsigned or forged:
 * 403. Either way nothing is stored.
 */
export async function readTwilioRequest(c: Context, services: Services, findAccount: (params: Record<string, string>) => Promise<TwilioAccount | null>): Promise<TwilioRequest> {
  const params = await formParams(c);
  const account = await findAccount(params);
  if (!account) throw notFound('Clinic number or message', bareAddress(params.To) || params.MessageSid || '(none)');
  const signature = c.req.header('x-twilio-signature');
  if (!signature || !twilio.validateRequest(account.authToken, signature, signedUrl(c, services), params)) {
    throw forbidden('The request is not signed by Twilio for this clinic (X-Twilio-Signature).');
  }
  const tenant = await services.orm.em.fork().findOneOrFail(Tenant, { id: account.tenantId });
  return { params, account, tenant: tenantInfo(tenant) };
}

/** The clinic whose SMS/voice or WhatsApp number the message was sent to. */
export const accountByNumber = (services: Services) => async (params: Record<string, string>) => {
  const number = bareAddress(params.To);
  if (!number) throw invalid('To is missing.', [{ path: 'To', message: 'required' }]);
  return services.orm.em.fork().findOne(TwilioAccount, { $or: [{ phoneNumber: number }, { whatsappNumber: number }] }, { filters: false });
};

/** The clinic that sent the message a status callback is about (by its MessageSid). */
export const accountByMessage = (services: Services) => async (params: Record<string, string>) => {
  if (!params.MessageSid) throw invalid('MessageSid is missing.', [{ path: 'MessageSid', message: 'required' }]);
  const em = services.orm.em.fork();
  const message = await em.findOne(Message, { channelMessageId: params.MessageSid }, { filters: false });
  return message ? em.findOne(TwilioAccount, { tenantId: message.tenantId }, { filters: false }) : null;
};
