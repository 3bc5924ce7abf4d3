import { setTimeout as sleep } from 'node:timers/promises';
import { startTwilioApi, type SentViaTwilio } from '../../tests/support/twilio-api.js';
import { inParallel, restClient, type Api } from '../api.js';
import type { Goal, Row, Section } from '../section.js';
import { BENCH_API_KEY, startService } from '../service.js';
import { count, ms, percentile, rate } from '../stats.js';

const ACCOUNT_SID = `AC${'c'.repeat(32)}`;
const AUTH_TOKEN = 'bench-auth-token-notifications-0001';
const SMS_NUMBER = '+14155550177';
export const RECIPIENTS = 1000;
const ACCEPT_RUNS = 5;
/** The clinic's send rate in the paced run, and how many it sends: 40 s at this rate, so the worker's one-second poll is a small part of the time measured. */
const PACED_RATE = 25;
const PACED_MESSAGES = 1000;

type Bulk = { batchId: string; accepted: number; refused: unknown[] };

/** 1,000 patients with a phone who agreed to care messages by SMS, a published SMS template, and the clinic's Twilio account. */
export async function setUpRecipients(api: Api, progress: (message: string) => void): Promise<{ patientIds: string[]; templateName: string }> {
  await api.call('PUT', '/channels/twilio', { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, phoneNumber: SMS_NUMBER, whatsappNumber: null });
  const templateName = `bench-note-${Date.now()}`;
  const template = await api.call<{ id: string }>('POST', '/templates', { name: templateName, channel: 'sms', locale: 'en', body: 'Hi {{ patient.givenName }}, {{ clinic.name }}: {{ values.note }}' });
  await api.call('POST', `/templates/${template.id}/publish`);
  progress(`creating ${count(RECIPIENTS)} patients with consent through the API`);
  const stamp = Date.now() % 1_000_000;
  const patientIds = await inParallel(Array.from({ length: RECIPIENTS }, (_, index) => index), 8, async (index) => {
    const patient = await api.call<{ id: string }>('POST', '/patients', {
      givenName: `Bulk${index}`,
      familyName: `Bench${stamp}`,
      dateOfBirth: '1980-01-01',
      phone: `+1332${200 + (stamp % 800)}${String(index).padStart(4, '0')}`, // a valid exchange: 200–999
      allowDuplicate: true,
    });
    await api.call('POST', `/patients/${patient.id}/consents`, { channel: 'sms', purpose: 'care_messages' });
    return patient.id;
  });
  return { patientIds, templateName };
}

/** Waits until the stand-in has received `expected` messages (or gives up after `timeoutMs`). */
async function untilSent(sent: SentViaTwilio[], expected: number, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; sent.length < expected && Date.now() < deadline; ) await sleep(20);
}

export const notifications: Section = {
  title: 'Notifications: bulk sends',
  about: [
    `The service in its own process, its Twilio client sending to a loopback stand-in of Twilio's API in the bench process (no rate limit of its own).`,
    `${count(RECIPIENTS)} patients with a phone and consent, made through the API. *Accepted*: \`POST /notifications/bulk\` to all of them from an SMS template,`,
    `due a day later (nothing is sent), timed from request to answer, ${ACCEPT_RUNS} times. *Dispatch*: the same send due now, from its acceptance to the last`,
    `message reaching the stand-in. *Paced*: the clinic's send rate set to ${PACED_RATE}/s, ${count(PACED_MESSAGES)} messages due now; the rate is (messages − 1) ÷ the time`,
    `from the first to the last reaching the stand-in.`,
  ].join(' '),
  async run(database, progress) {
    const twilioApi = await startTwilioApi();
    const service = await startService(database, { TWILIO_API_BASE_URL: twilioApi.url });
    try {
      const api = restClient(service.baseUrl, BENCH_API_KEY);
      const { patientIds, templateName } = await setUpRecipients(api, progress);
      const send = (ids: string[], sendAt?: string) =>
        api.call<Bulk>('POST', '/notifications/bulk', {
          recipients: { patientIds: ids },
          channel: 'sms',
          purpose: 'care_messages',
          template: { name: templateName },
          values: { note: 'the flu clinic is open this week' },
          ...(sendAt ? { sendAt } : {}),
        });

      progress(`accepting a ${count(RECIPIENTS)}-recipient bulk send, ${ACCEPT_RUNS} times`);
      const acceptMs: number[] = [];
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
      for (let run = 0; run < ACCEPT_RUNS; run++) {
        const started = performance.now();
        const bulk = await send(patientIds, tomorrow);
        acceptMs.push(performance.now() - started);
        if (bulk.accepted !== RECIPIENTS) throw new Error(`a bulk send accepted ${bulk.accepted} of ${RECIPIENTS}`);
      }
      acceptMs.sort((a, b) => a - b);

      progress(`dispatching ${count(RECIPIENTS)} due now, no rate limit`);
      const before = twilioApi.sent.length;
      await send(patientIds);
      const started = performance.now();
      await untilSent(twilioApi.sent, before + RECIPIENTS, 300_000);
      const dispatched = twilioApi.sent.length - before;
      const dispatchSeconds = (performance.now() - started) / 1000;

      progress(`dispatching ${count(PACED_MESSAGES)} at the clinic's rate of ${PACED_RATE}/s`);
      await api.call('PATCH', '/clinic', { sendRatePerSecond: PACED_RATE });
      const pacedFrom = twilioApi.sent.length;
      await send(patientIds.slice(0, PACED_MESSAGES));
      await untilSent(twilioApi.sent, pacedFrom + PACED_MESSAGES, (PACED_MESSAGES / PACED_RATE) * 1000 + 120_000);
      const paced = twilioApi.sent.slice(pacedFrom);
      const pacedRate = paced.length > 1 ? ((paced.length - 1) * 1000) / (paced[paced.length - 1].at - paced[0].at) : 0;
      await api.call('PATCH', '/clinic', { sendRatePerSecond: null });

      const rows: Row[] = [
        { label: `Bulk send of ${count(RECIPIENTS)} accepted, p50 / p95 of ${ACCEPT_RUNS}`, value: `${ms(percentile(acceptMs, 0.5))} / ${ms(percentile(acceptMs, 0.95))}` },
        { label: `Dispatch, no rate limit: sent / ${count(RECIPIENTS)} (rate from acceptance)`, value: `${count(dispatched)} (${rate(dispatched / dispatchSeconds)})` },
        { label: `Paced at ${PACED_RATE}/s: sent / ${count(PACED_MESSAGES)} (rate, first to last)`, value: `${count(paced.length)} (${rate(pacedRate)})` },
      ];
      const goals: Goal[] = [
        { goal: `A ${count(RECIPIENTS)}-recipient bulk send accepted`, target: '< 1 s (p95 of 5)', measured: ms(percentile(acceptMs, 0.95)), met: percentile(acceptMs, 0.95) < 1000 },
        {
          goal: 'Notifications dispatched with no rate limit',
          target: '≥ 200/s, all sent',
          measured: `${rate(dispatched / dispatchSeconds)}, ${count(dispatched)} of ${count(RECIPIENTS)}`,
          met: dispatched === RECIPIENTS && dispatched / dispatchSeconds >= 200,
        },
        {
          goal: `A clinic's send rate held (${PACED_RATE}/s)`,
          target: 'within 5 %',
          measured: `${rate(pacedRate)}, ${count(paced.length)} of ${count(PACED_MESSAGES)}`,
          met: paced.length === PACED_MESSAGES && Math.abs(pacedRate - PACED_RATE) <= PACED_RATE * 0.05,
        },
      ];
      return { rows, goals };
    } finally {
      await service.stop();
      await twilioApi.close();
    }
  },
};
