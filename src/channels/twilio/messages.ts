import type { Context } from 'hono';
import twilio from 'twilio';
import type { Services } from '../../context.js';
import { TENANT_FILTER } from '../../db/base.js';
import { Communication, type MediaReference, type CommunicationStatus } from '../../modules/communications/entities.js';
import { receiveInbound } from '../../modules/communications/inbound.js';
import { clinicByMessage, clinicByNumber, bareAddress, readTwilioRequest } from './webhook.js';

const emptyTwiml = (c: Context) => c.body(new twilio.twiml.MessagingResponse().toString(), 200, { 'content-type': 'text/xml' });

function media(params: Record<string, string>): MediaReference[] {
  const count = Number(params.NumMedia ?? 0);
  return Array.from({ length: Number.isInteger(count) ? Math.min(count, 10) : 0 }, (_, index) => ({
    url: params[`MediaUrl${index}`] ?? '',
    contentType: params[`MediaContentType${index}`] ?? null,
  })).filter((item) => item.url !== '');
}

/**
 * An inbound WhatsApp or SMS message: stored with its turn job, then acknowledged with empty TwiML
 * at once; the reply goes out through the Messages API when the turn has run. A redelivered
 * MessageSid is acknowledged and changes nothing.
 */
export async function inboundMessage(c: Context, services: Services): Promise<Response> {
  const request = await readTwilioRequest(c, services, clinicByNumber(services));
  const { params } = request;
  await receiveInbound(services, request.tenant, {
    channel: params.From?.startsWith('whatsapp:') ? 'whatsapp' : 'sms',
    contact: bareAddress(params.From),
    clinicAddress: bareAddress(params.To),
    body: params.Body ?? '',
    media: media(params),
    channelMessageId: params.MessageSid ?? null,
  });
  return emptyTwiml(c);
}

/** Twilio's statuses in the order a message moves through them; a late callback never moves it back. */
const progress: Record<string, { status: CommunicationStatus; rank: number }> = {
  accepted: { status: 'sent', rank: 1 },
  queued: { status: 'sent', rank: 1 },
  sending: { status: 'sent', rank: 1 },
  sent: { status: 'sent', rank: 2 },
  delivered: { status: 'delivered', rank: 3 },
  read: { status: 'read', rank: 4 },
  undelivered: { status: 'undelivered', rank: 5 },
  failed: { status: 'failed', rank: 5 },
};
const rankOf = (status: CommunicationStatus) => Object.values(progress).find((entry) => entry.status === status)?.rank ?? 0;

/** A delivery status callback: updates the message's status (delivered, read, failed …). */
export async function statusCallback(c: Context, services: Services): Promise<Response> {
  const { params, tenant } = await readTwilioRequest(c, services, clinicByMessage(services));
  const next = progress[params.CommunicationStatus ?? ''];
  if (next) {
    const em = services.orm.em.fork();
    em.setFilterParams(TENANT_FILTER, { tenantId: tenant.id });
    const message = await em.findOne(Communication, { channelMessageId: params.MessageSid });
    if (message && next.rank >= rankOf(message.status)) {
      message.status = next.status;
      if (next.status === 'delivered' || next.status === 'read') message.deliveredAt ??= new Date();
      if (params.ErrorCode) message.error = `Twilio error ${params.ErrorCode}${params.ErrorMessage ? `: ${params.ErrorMessage}` : ''}`;
      message.updatedAt = new Date();
      await em.flush();
    }
  }
  return c.body(null, 204);
}
