import twilio from 'twilio';
import type { Services } from '../../context.js';
import { DeliveryError } from '../../modules/communications/delivery-error.js';
import type { TwilioAccount } from '../../modules/conversations/entities.js';

type TwilioClient = ReturnType<typeof twilio>;
type RequestOptions = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0];

/**
 * Sends Twilio's requests to another Twilio-compatible base URL (`TWILIO_API_BASE_URL`: staging, or a
 * loopback stand-in in tests). Everything else is the twilio client's own code.
 */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: string) {
    super({ autoRetry: true, maxRetries: 3, timeout: 10_000, keepAlive: true });
  }

  override request<TData>(options: RequestOptions & { data?: TData }) {
    const url = new URL(options.uri);
    const base = new URL(this.baseUrl);
    url.protocol = base.protocol;
    url.host = base.host;
    url.pathname = base.pathname.replace(/\/$/, '') + url.pathname;
    return super.request({ ...options, uri: url.toString() });
  }
}

/** `communicationId`: ours, carried in the status callback's URL, so a report finds it even if its sid was never stored. */
export type OutboundSms = {
  channel: 'whatsapp' | 'sms';
  to: string;
  from: string | null;
  body: string;
  /** A WhatsApp Content template sent instead of `body` (Twilio's ContentSid and ContentVariables). */
  content?: { sid: string; variables: Record<string, string> };
  /** Links Twilio fetches the message's files from (WhatsApp, MMS). */
  mediaUrls?: string[];
  communicationId: string;
};

/** What sending needs of a clinic's Twilio account. */
export type TwilioCredentials = Pick<TwilioAccount, 'accountSid' | 'authToken' | 'phoneNumber' | 'whatsappNumber'>;
export type SentSms = { sid: string; status: string };

/** Where Twilio reports a message's status (src/channels/twilio/routes.ts). */
export const STATUS_PATH = '/channels/twilio/status';

const MEDIA_TIMEOUT_MS = 60_000;
const MAX_MEDIA_REDIRECTS = 3;

/** A media URL (or its redirect) the gateway will not fetch: fetching it again would not help. */
export class MediaUrlError extends Error {
  override name = 'MediaUrlError';
}

const parsedUrl = (text: string, base?: URL): URL | undefined => {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
};

/** Connection failures before a request is written: Twilio never saw it, so a retry cannot duplicate. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Twilio for every tenant: one client per tenant account (cached), the real twilio package, with
 * 429 retries done by the client itself. Numbers and credentials come from `twilio_account`; clients
 * are cached by account and token, so changed credentials take effect at once.
 */
export class TwilioGateway {
  /** Clients by account and token, so changed credentials take effect at once. */
  private readonly clients = new Map<string, TwilioClient>();

  constructor(private readonly services: () => Services) {}

  /** Sends through the clinic's account (see `account`). */
  async send(account: TwilioCredentials, message: OutboundSms): Promise<SentSms> {
    const client = this.clientFor(account);
    const from = message.from ?? (message.channel === 'whatsapp' ? account.whatsappNumber : account.phoneNumber);
    if (!from) throw new DeliveryError(`No ${message.channel} number is configured for this clinic.`, 'rejected');
    const prefix = message.channel === 'whatsapp' ? 'whatsapp:' : '';
    const base = this.services().config.publicBaseUrl;
    try {
      const sent = await client.messages.create({
        to: `${prefix}${message.to}`,
        from: `${prefix}${from}`,
        ...(message.content ? { contentSid: message.content.sid, contentVariables: JSON.stringify(message.content.variables) } : { body: message.body }),
        ...(message.mediaUrls && message.mediaUrls.length > 0 ? { mediaUrl: message.mediaUrls } : {}),
        ...(base ? { statusCallback: `${base.replace(/\/$/, '')}${STATUS_PATH}?communication=${message.communicationId}` } : {}),
      });
      return { sid: sent.sid, status: sent.status };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const status = (error as { status?: number }).status;
      if (typeof code === 'string' && NOT_SENT_CODES.has(code)) throw new DeliveryError(`Twilio could not be reached (${code}).`, 'retry');
      if (status === 429) throw new DeliveryError('Twilio is rate limiting this account.', 'retry');
      // A 4xx is Twilio's considered refusal (an invalid number, a blocked sender); anything else
      // (a 5xx, a timeout) came after Twilio had the request, which it may have acted on.
      if (typeof status === 'number' && status >= 400 && status < 500) throw new DeliveryError(`Twilio refused the message (HTTP ${status}).`, 'rejected');
      throw new DeliveryError(`Twilio did not confirm the message (${typeof status === 'number' ? `HTTP ${status}` : 'no answer'}); it may have sent it.`, 'unknown');
    }
  }

  /**
   * Opens the file of an inbound message's `MediaUrlN` with the account's credentials (HTTP basic
   * auth), as Twilio requires when media authentication is on. Only Twilio's API host (or the one of
   * TWILIO_API_BASE_URL) is asked, and only it gets the credentials: its redirect to where the file is
   * stored is followed without them. Answers whatever the file's host answered (the caller reads the
   * status); throws a MediaUrlError for a URL or redirect that is not Twilio's to give.
   */
  async openMedia(account: Pick<TwilioCredentials, 'accountSid' | 'authToken'>, mediaUrl: string): Promise<Response> {
    const api = new URL(this.services().config.twilio.apiBaseUrl ?? 'https://api.twilio.com');
    let url = parsedUrl(mediaUrl);
    if (!url || url.origin !== api.origin) throw new MediaUrlError(`not a media URL of Twilio's API (${api.origin})`);
    const authorization = `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`;
    for (let redirects = 0; ; redirects++) {
      const response = await fetch(url, {
        redirect: 'manual',
        headers: url.origin === api.origin ? { authorization } : {},
        signal: AbortSignal.timeout(MEDIA_TIMEOUT_MS),
      });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) return response;
      await response.body?.cancel();
      const next = parsedUrl(location, url);
      // HTTPS only, unless the API itself is plain HTTP (a loopback stand-in in tests).
      if (!next || (next.protocol !== 'https:' && next.protocol !== api.protocol) || redirects >= MAX_MEDIA_REDIRECTS) {
        throw new MediaUrlError(`Twilio redirected the media to ${next ? next.origin : 'an invalid URL'}, which is not followed`);
      }
      url = next;
    }
  }

  private clientFor(account: TwilioCredentials): TwilioClient {
    const key = `${account.accountSid}:${account.authToken}`;
    let client = this.clients.get(key);
    if (!client) {
      const baseUrl = this.services().config.twilio.apiBaseUrl;
      client = twilio(account.accountSid, account.authToken, {
        autoRetry: true,
        maxRetries: 3,
        ...(baseUrl ? { httpClient: new RebasedRequestClient(baseUrl) } : {}),
      });
      this.clients.set(key, client);
    }
    return client;
  }
}
