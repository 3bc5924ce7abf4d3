import { createHarness, type Harness } from './harness.js';
import { listen, type Listening } from './http-server.js';
import { startTwilioApi } from './twilio-api.js';

export type ServedHarness = { harness: Harness; twilioApi: Awaited<ReturnType<typeof startTwilioApi>>; service: Listening; close(): Promise<void> };

/**
 * A harness served on a real loopback port (its PUBLIC_BASE_URL, so signed webhooks and status
 * callbacks name it), its Twilio client sending to a loopback stand-in of Twilio's API; `config`
 * adds settings (an SMTP server's, say).
 */
export async function servedHarness(config: Record<string, string> = {}): Promise<ServedHarness> {
  const twilioApi = await startTwilioApi();
  let harness: Harness | undefined;
  const service = await listen((request) => harness!.app.fetch(request));
  harness = await createHarness({ config: { TWILIO_API_BASE_URL: twilioApi.url, PUBLIC_BASE_URL: service.url, ...config } });
  const created = harness;
  return {
    harness: created,
    twilioApi,
    service,
    close: async () => {
      await service.close();
      await twilioApi.close();
      await created.close();
    },
  };
}
