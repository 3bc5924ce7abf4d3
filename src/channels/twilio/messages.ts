import type { Context } from 'hono';
import twilio from 'twilio';
import type { Services } from '../../context.js';
import { AppError } from '../../errors.js';
import type { CommunicationStatus, MediaReference } from '../../modules/communications/entities.js';
import { applyProviderReport } from '../../modules/communications/status.js';
import { Id } from '../../schema.js';
import { receiveInbound } from '../../modules/communications/inbound.js';
import { bareAddress, clinicByNumber, clinicByReport, readTwilioRequest } from './webhook.js';

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

/** Twilio's message statuses in ours; the order they may move in is the pipeline's (status-order.ts). */
const statuses: Record<string, CommunicationStatus> = {
  accepted: 'sent',
  queued: 'sent',
  sending: 'sent',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'undelivered',
  failed: 'failed',
};

/**
 * A delivery status callback: the report is kept and moves the communication's status forward
 * (delivered, read, failed …). A callback for a message unknown here answers 200, so Twilio does not
 * retry it, and is logged; a status we do not track (`scheduled`, `canceled`) is acknowledged alone.
 */
export async function statusCallback(c: Context, services: Services): Promise<Response> {
  const communicationId = Id.safeParse(c.req.query('communication')).data;
  const request = await readTwilioRequest(c, services, clinicByReport(services, communicationId)).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'not_found') return null;
    throw error;
  });
  if (!request) {
    services.log.info({ communicationId: communicationId ?? null }, 'a status callback for a message unknown here: acknowledged, ignored');
    return c.body(null, 200);
  }
  const { params, tenant, found } = request;
  const status = statuses[params.MessageStatus ?? ''];
  if (status) {
    await applyProviderReport(services, tenant, {
      communicationId: found.communicationId,
      channelMessageId: params.MessageSid ?? null,
      status,
      providerStatus: params.MessageStatus ?? '',
      error: params.ErrorCode ? `Twilio error ${params.ErrorCode}${params.ErrorMessage ? `: ${params.ErrorMessage}` : ''}` : null,
    });
  }
  return c.body(null, 204);
}
