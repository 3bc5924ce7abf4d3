import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { AgentTurn } from '../../src/modules/conversations/entities.js';
import { Communication } from '../../src/modules/communications/entities.js';
import { ToolRun } from '../../src/tools/tool-run.js';
import { tenantEntityManager } from '../../src/tools/runner.js';
import { ACCOUNT_SID, API, AUTH_TOKEN } from '../support/clinic-fixture.js';
import { randomSid } from '../support/conversation-driver.js';
import type { Harness, TestTenant } from '../support/harness.js';
import { samples } from '../support/media-files.js';
import { signedTwilioRequest, type startTwilioApi } from '../support/twilio-api.js';

/** Where Twilio posts inbound messages; the app is called in-process at this URL, signed for it. */
const WEBHOOK_URL = 'https://prm.test/channels/twilio/messages';

const sampleFiles: Record<string, Buffer> = { 'image/jpeg': samples.jpeg, 'application/pdf': samples.pdf, 'audio/ogg': samples.opus };

export type ToolRunRecord = { tool: string; status: string; errorCode: string | null; input: unknown };
export type AgentTurnRecord = { mode: string; outcome: string; fallbackReason: string | null };

/**
 * One patient and the clinic on one channel, end to end: the patient's messages go through the
 * signed Twilio webhook, the tenant's jobs run (the turn, the deliveries, file downloads), and what
 * the clinic sent comes back from the Twilio stand-in; what the agent ran, from the run log.
 */
export function clinicLine(options: {
  harness: Harness;
  clinic: TestTenant;
  twilioApi: Awaited<ReturnType<typeof startTwilioApi>>;
  numbers: { phone: string; whatsapp: string };
  channel: 'whatsapp' | 'sms';
  contact: string;
}) {
  const { harness, clinic, twilioApi, channel, contact } = options;
  const address = (number: string) => (channel === 'whatsapp' ? `whatsapp:${number}` : number);
  const clinicAddress = address(channel === 'whatsapp' ? options.numbers.whatsapp : options.numbers.phone);
  const em = () => tenantEntityManager(harness.services, clinic.tenant.id);
  const seenRuns = new Set<string>();
  const settle = () => harness.services.jobs.drain({ tenantId: clinic.tenant.id });

  return {
    /** The patient writes (with files, if any); answers the webhook's HTTP status and the message's sid. */
    async send(body: string, media: string[] = []): Promise<{ status: number; messageSid: string }> {
      const messageSid = randomSid();
      const params: Record<string, string> = { MessageSid: messageSid, AccountSid: ACCOUNT_SID, From: address(contact), To: clinicAddress, Body: body, NumMedia: String(media.length) };
      media.forEach((contentType, index) => {
        const mediaSid = `ME${randomUUID().replaceAll('-', '')}`;
        twilioApi.mediaFiles.set(mediaSid, { bytes: new Uint8Array(sampleFiles[contentType]), contentType });
        params[`MediaUrl${index}`] = twilioApi.mediaUrl(ACCOUNT_SID, mediaSid);
        params[`MediaContentType${index}`] = contentType;
      });
      const response = await harness.app.request(WEBHOOK_URL, signedTwilioRequest({ url: WEBHOOK_URL, authToken: AUTH_TOKEN, params }));
      await settle();
      return { status: response.status, messageSid };
    },

    /** The clinic sends the patient a reminder of the appointment (staff's send_notification), having their consent. */
    async remind(patientId: string, appointmentId: string): Promise<void> {
      await clinic.call('POST', `${API}/patients/${patientId}/consents`, { channel, purpose: 'appointment_reminders' });
      const appointment = await clinic.call<{ startLocal: string }>('GET', `${API}/appointments/${appointmentId}`);
      const when = DateTime.fromISO(appointment.startLocal, { setZone: true }).setLocale('en').toFormat("cccc d LLLL 'at' h:mm a");
      const body = `Reminder from ${clinic.tenant.name}: your appointment is on ${when}. Reply C to confirm.`;
      await clinic.call('POST', `${API}/notifications`, { patientId, channel, purpose: 'appointment_reminders', appointmentId, body });
      await settle();
    },

    /** How many messages the clinic has sent this patient so far: a mark to read replies from. */
    sentCount: () => twilioApi.sent.filter((message) => message.to === address(contact) && message.from === clinicAddress).length,

    /** The texts the clinic sent this patient after `mark`, as Twilio received them. */
    sentSince: (mark: number): string[] =>
      twilioApi.sent
        .filter((message) => message.to === address(contact) && message.from === clinicAddress)
        .slice(mark)
        .map((message) => message.body ?? ''),

    /** The agent's tool runs in this conversation not returned before, in the order they ran. */
    async newToolRuns(): Promise<ToolRunRecord[]> {
      const runs = await em().find(ToolRun, { conversationId: { $ne: null }, actorKind: 'agent' }, { orderBy: { id: 'asc' } });
      const fresh = runs.filter((run) => !seenRuns.has(run.id));
      fresh.forEach((run) => seenRuns.add(run.id));
      return fresh.map((run) => ({ tool: run.tool, status: run.status, errorCode: run.errorCode ?? null, input: run.input }));
    },

    /** How the agent answered the message with this sid: the mode, the outcome, why it fell back. */
    async agentTurn(messageSid: string): Promise<AgentTurnRecord | null> {
      const inbound = await em().findOne(Communication, { channelMessageId: messageSid });
      const turn = inbound ? await em().findOne(AgentTurn, { inboundMessageId: inbound.id }) : null;
      return turn ? { mode: turn.mode, outcome: turn.outcome, fallbackReason: turn.fallbackReason ?? null } : null;
    },
  };
}
export type ClinicLine = ReturnType<typeof clinicLine>;
