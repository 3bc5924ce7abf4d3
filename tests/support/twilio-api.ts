import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import twilio from 'twilio';
import { listen } from './http-server.js';

/** A message Twilio accepted; `at` is `performance.now()` when it arrived (the bench times replies by it). */
/** `contentSid`/`contentVariables`: a WhatsApp Content template sent instead of a body. */
export type SentViaTwilio = {
  accountSid: string;
  to: string;
  from: string;
  body: string;
  contentSid: string | undefined;
  contentVariables: string | undefined;
  /** The MediaUrl values: links Twilio fetches the message's files from. */
  mediaUrls: string[];
  statusCallback: string | undefined;
  sid: string;
  at: number;
};

/**
 * A loopback stand-in for Twilio's REST API (the Messages resource), reached by the real twilio
 * client through TWILIO_API_BASE_URL. `respond` decides each answer: ok, a server error, a 429.
 */
export async function startTwilioApi(options: { onSent?: (message: SentViaTwilio) => void } = {}) {
  const sent: SentViaTwilio[] = [];
  const attempts: { to: string; body: string }[] = [];
  let respond: (attempt: number) => 'ok' | 500 | 429 = () => 'ok';
  const app = new Hono();
  app.post('/2010-04-01/Accounts/:accountSid/Messages.json', async (c) => {
    const posted = new URLSearchParams(await c.req.text());
    const form = Object.fromEntries(posted); // the client posts a form; lighter than parseBody for the bench
    attempts.push({ to: form.To, body: form.Body });
    const answer = respond(attempts.length);
    if (answer !== 'ok') return c.json({ code: answer === 429 ? 20429 : 20500, message: answer === 429 ? 'Too Many Requests' : 'Internal Server Error', status: answer }, answer);
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const message: SentViaTwilio = { accountSid: c.req.param('accountSid'), to: form.To, from: form.From, body: form.Body, contentSid: form.ContentSid, contentVariables: form.ContentVariables, mediaUrls: posted.getAll('MediaUrl'), statusCallback: form.StatusCallback, sid, at: performance.now() };
    sent.push(message);
    options.onSent?.(message);
    return c.json({ sid, account_sid: c.req.param('accountSid'), to: form.To, from: form.From, body: form.Body, status: 'queued', num_segments: '1', direction: 'outbound-api', date_created: new Date().toUTCString() }, 201);
  });
  // Media of inbound messages (MediaUrlN): Twilio answers with the file, or redirects to where it is stored.
  const mediaFiles = new Map<string, { bytes: Uint8Array<ArrayBuffer>; contentType: string; status?: number }>();
  const mediaRequests: { mediaSid: string; authorization: string | undefined }[] = [];
  let mediaRedirect: ((mediaSid: string) => string) | undefined;
  app.get('/2010-04-01/Accounts/:accountSid/Messages/:messageSid/Media/:mediaSid', (c) => {
    const mediaSid = c.req.param('mediaSid');
    mediaRequests.push({ mediaSid, authorization: c.req.header('authorization') });
    const file = mediaFiles.get(mediaSid);
    if (!file) return c.json({ code: 20404, message: 'The requested resource was not found', status: 404 }, 404);
    if (file.status) return c.json({ code: 20500, message: 'Internal Server Error', status: file.status }, file.status as 500);
    if (mediaRedirect) return c.redirect(mediaRedirect(mediaSid), 307);
    return c.body(file.bytes, 200, { 'content-type': file.contentType });
  });
  const server = await listen(app.fetch);
  return {
    url: server.url,
    mediaFiles,
    mediaRequests,
    /** The MediaUrl Twilio would put in a webhook for this file. */
    mediaUrl: (accountSid: string, mediaSid: string) => `${server.url}/2010-04-01/Accounts/${accountSid}/Messages/MM${'0'.repeat(32)}/Media/${mediaSid}`,
    redirectMediaTo(where: ((mediaSid: string) => string) | undefined) {
      mediaRedirect = where;
    },
    sent,
    attempts,
    respondWith(decide: (attempt: number) => 'ok' | 500 | 429) {
      respond = decide;
    },
    close: server.close,
  };
}

/** A Twilio webhook as Twilio sends it: form-encoded and signed with the account's auth token. */
export function signedTwilioRequest(options: { url: string; authToken: string; params: Record<string, string>; signature?: string | null }): RequestInit {
  const signature = options.signature === undefined ? twilio.getExpectedTwilioSignature(options.authToken, options.url, options.params) : options.signature;
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === null ? {} : { 'x-twilio-signature': signature }) },
    body: new URLSearchParams(options.params).toString(),
  };
}
