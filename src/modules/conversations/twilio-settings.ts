import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { conflict } from '../../errors.js';
import { newId } from '../../ids.js';
import { Secret } from '../../tools/logged-input.js';
import { TwilioAccount, TwilioNumber } from './entities.js';

const E164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as +12125550100');

export const SetTwilioAccountInput = z.strictObject({
  accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'a Twilio Account SID (AC followed by 32 hex digits)').describe('The Twilio Account SID.'),
  authToken: Secret.min(16).max(128).describe('The account’s auth token: signs webhooks and authenticates sends. Never shown again.'),
  phoneNumber: E164.nullable().optional().describe('The SMS and voice number, E.164.'),
  whatsappNumber: E164.nullable().optional().describe('The WhatsApp sender number, E.164 (without the whatsapp: prefix).'),
});
export const TwilioAccountView = z.object({
  configured: z.boolean(),
  accountSid: z.string().nullable(),
  phoneNumber: z.string().nullable(),
  whatsappNumber: z.string().nullable(),
  webhooks: z.object({ messages: z.string(), status: z.string(), voice: z.string() }).describe('The URLs to set in the Twilio console.'),
});

const view = (ctx: AppContext, account: TwilioAccount | null): z.infer<typeof TwilioAccountView> => {
  const base = (ctx.services.config.publicBaseUrl ?? 'https://<PUBLIC_BASE_URL>').replace(/\/$/, '');
  return {
    configured: account !== null,
    accountSid: account?.accountSid ?? null,
    phoneNumber: account?.phoneNumber ?? null,
    whatsappNumber: account?.whatsappNumber ?? null,
    webhooks: { messages: `${base}/channels/twilio/messages`, status: `${base}/channels/twilio/status`, voice: `${base}/channels/twilio/voice` },
  };
};

type NumberField = 'phoneNumber' | 'whatsappNumber';

/**
 * Claims the numbers for the tenant and releases the ones it no longer uses. A number is one clinic's
 * (inbound webhooks are routed by it), as SMS/voice number or WhatsApp sender alike; the same clinic
 * may use one number for both. A number another clinic has is refused with 409, without saying which
 * clinic; two clinics claiming one at the same moment meet on the unique key, and one of them gets the
 * 409 (src/db/database-errors.ts).
 */
async function claimNumbers(em: EntityManager, tenantId: string, numbers: Record<NumberField, string | null>, now: Date): Promise<void> {
  const wanted = [...new Set(Object.values(numbers).filter((number): number is string => number !== null))];
  const taken = wanted.length > 0 ? await em.find(TwilioNumber, { number: { $in: wanted }, tenantId: { $ne: tenantId } }, { filters: false }) : [];
  if (taken.length > 0) {
    const field = (Object.keys(numbers) as NumberField[]).find((key) => numbers[key] === taken[0].number);
    throw conflict(`The ${field === 'whatsappNumber' ? 'WhatsApp' : 'SMS/voice'} number ${taken[0].number} is already used by another clinic; each Twilio number belongs to one clinic.`, {
      field,
    });
  }
  const held = await em.find(TwilioNumber, { tenantId }, { filters: false });
  for (const claim of held) if (!wanted.includes(claim.number)) em.remove(claim);
  for (const number of wanted) {
    if (!held.some((claim) => claim.number === number)) em.create(TwilioNumber, { id: newId(), tenantId, number, createdAt: now, updatedAt: now });
  }
}

/** Creates or replaces the tenant's Twilio account and numbers. */
export async function upsertTwilioAccount(em: EntityManager, tenantId: string, input: z.output<typeof SetTwilioAccountInput>): Promise<TwilioAccount> {
  const now = new Date();
  const numbers = { phoneNumber: input.phoneNumber ?? null, whatsappNumber: input.whatsappNumber ?? null };
  await claimNumbers(em, tenantId, numbers, now);
  const account = (await em.findOne(TwilioAccount, { tenantId }, { filters: false })) ?? em.create(TwilioAccount, { id: newId(), tenantId, accountSid: '', authToken: '', phoneNumber: null, whatsappNumber: null, createdAt: now, updatedAt: now });
  em.assign(account, { accountSid: input.accountSid, authToken: input.authToken, ...numbers, updatedAt: now });
  return account;
}

export async function setTwilioAccount(ctx: AppContext, input: z.output<typeof SetTwilioAccountInput>) {
  const account = await upsertTwilioAccount(ctx.em, ctx.tenant.id, input);
  ctx.services.twilioNumbers.forget(); // numbers and tokens may have moved: webhooks read them afresh
  return view(ctx, account);
}

export async function getTwilioAccount(ctx: AppContext) {
  return view(ctx, await ctx.em.findOne(TwilioAccount, { tenantId: ctx.tenant.id }));
}

/** The clinic's Twilio account credentials (to fetch inbound media), or null when it has none. */
export async function twilioCredentials(ctx: AppContext): Promise<{ accountSid: string; authToken: string } | null> {
  const account = await ctx.em.findOne(TwilioAccount, { tenantId: ctx.tenant.id });
  return account && account.accountSid && account.authToken ? { accountSid: account.accountSid, authToken: account.authToken } : null;
}
