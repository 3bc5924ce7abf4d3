import type { Hono } from 'hono';
import type { Services } from '../../context.js';
import type { AppEnv } from '../../http/env.js';
import { STATUS_PATH } from './gateway.js';
import { inboundMessage, statusCallback } from './messages.js';
import { voiceWebhook } from './voice.js';

/** Twilio's webhooks: authenticated by Twilio's signature, not by API keys. */
export function mountTwilioRoutes(app: Hono<AppEnv>, services: Services): void {
  app.post('/channels/twilio/messages', (c) => inboundMessage(c, services));
  app.post(STATUS_PATH, (c) => statusCallback(c, services));
  app.post('/channels/twilio/voice', (c) => voiceWebhook(c, services));
}
