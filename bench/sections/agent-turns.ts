import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import twilio from 'twilio';
import { startOpenAiApi } from '../../tests/support/openai-api.js';
import { startTwilioApi, type SentViaTwilio } from '../../tests/support/twilio-api.js';
import type { Goal, Row, Section } from '../section.js';
import { sendRequest } from '../load.js';
import { startService, type RunningService } from '../service.js';
import { count, ms, percentile, rate, summarize } from '../stats.js';
import { measureWhenParsing } from './when-parsing.js';

const ACCOUNT_SID = `AC${'b'.repeat(32)}`;
const AUTH_TOKEN = 'bench-auth-token-0123456789abcdef';
const WHATSAPP_NUMBER = '+14155550199';
const RATE = Number(process.env.BENCH_AGENT_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 20);
const CONTACTS = 500;
const LATENCY_MESSAGES = 200;
/** Sent one at a time before those measured: the service's code is compiled to machine code while it runs (it kept getting faster for about 100 turns). */
const WARMUP_MESSAGES = 100;

type Mode = 'guided' | 'model';

/** One patient's number per index: distinct conversations, each answered in order. Each mode has its own range. */
const contact = (mode: Mode, index: number) => `+1${mode === 'guided' ? '212' : '646'}555${String(index).padStart(4, '0')}`;

/**
 * Sends signed inbound webhooks and matches each to its reply at the Twilio stand-in: per contact,
 * the n-th reply answers the n-th message (one conversation's turns run in order).
 */
function messenger(service: RunningService) {
  const path = '/channels/twilio/messages';
  const url = `${service.baseUrl}${path}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const sentAt = new Map<string, number[]>();
  const latencies: number[] = [];
  const extraReplies: string[] = [];
  let acknowledged = 0;
  const refused: string[] = [];
  let sequence = 0;
  const prefix = randomBytes(8).toString('hex'); // MessageSids are unique across phases: a repeated one is a redelivery
  return {
    async send(from: string): Promise<void> {
      const params = { MessageSid: `SM${prefix}${String(++sequence).padStart(16, '0')}`, AccountSid: ACCOUNT_SID, From: `whatsapp:${from}`, To: `whatsapp:${WHATSAPP_NUMBER}`, Body: 'hi', NumMedia: '0' };
      const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
      const queue = sentAt.get(from) ?? [];
      const at = performance.now();
      queue.push(at);
      sentAt.set(from, queue);
      const answer = await sendRequest(agent, new URL(service.baseUrl), { 'x-twilio-signature': signature }, {
        method: 'POST',
        path,
        body: new URLSearchParams(params).toString(),
        contentType: 'application/x-www-form-urlencoded',
      });
      if (answer.ok) acknowledged++;
      else {
        // Not taken: no reply is coming (Twilio would deliver it again later); the bench does not wait for one.
        refused.push(answer.outcome);
        const waiting = queue.indexOf(at);
        if (waiting >= 0) queue.splice(waiting, 1);
      }
    },
    replied(message: SentViaTwilio): void {
      const from = message.to.replace(/^whatsapp:/, '');
      const sent = sentAt.get(from)?.shift();
      if (sent === undefined) extraReplies.push(from);
      else latencies.push(message.at - sent);
    },
    close: () => agent.destroy(),
    stats: () => ({ latencies, acknowledged, refused: refused.length, refusals: [...new Set(refused)].join(', '), extraReplies: extraReplies.length, unanswered: [...sentAt.values()].reduce((sum, queue) => sum + queue.length, 0) }),
  };
}

async function untilAnswered(stats: () => { unanswered: number }, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; stats().unanswered > 0 && Date.now() < deadline; ) await sleep(50);
}

async function measureMode(database: Parameters<Section['run']>[0], mode: Mode, progress: (message: string) => void) {
  let onReply: (message: SentViaTwilio) => void = () => {};
  const twilioApi = await startTwilioApi({ onSent: (message) => onReply(message) });
  const openAi = await startOpenAiApi(() => ({ content: 'Hello! How can I help you today?' }), { keepRequests: false });
  const service = await startService(database, {
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_WHATSAPP_NUMBER: WHATSAPP_NUMBER,
    TWILIO_API_BASE_URL: twilioApi.url,
    ...(mode === 'model' ? { OPENAI_BASE_URL: openAi.baseUrl, PRM_MODEL: 'bench-model' } : {}),
  });
  try {
    // Our own overhead, unloaded: one message at a time, once the service is warm (the first message is reported on its own).
    progress(`${mode}: ${WARMUP_MESSAGES} messages to warm up, then ${LATENCY_MESSAGES} one at a time`);
    const warmup = messenger(service);
    const single = messenger(service);
    for (const [phase, messages, offset] of [[warmup, WARMUP_MESSAGES, 0], [single, LATENCY_MESSAGES, WARMUP_MESSAGES]] as const) {
      onReply = (message) => phase.replied(message);
      for (let index = offset; index < offset + messages; index++) {
        await phase.send(contact(mode, index % CONTACTS));
        await untilAnswered(phase.stats, 10_000);
      }
    }

    // Sustained: RATE messages a second, open loop, for SECONDS; every one must be answered once.
    progress(`${mode}: ${RATE} messages/s for ${SECONDS} s`);
    const loaded = messenger(service);
    onReply = (message) => loaded.replied(message);
    const total = RATE * SECONDS;
    const cpuBefore = await service.cpuSeconds();
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let index = 0; index < total; index++) {
      const due = started + (index * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      inFlight.push(loaded.send(contact(mode, (WARMUP_MESSAGES + LATENCY_MESSAGES + index) % CONTACTS)));
    }
    await Promise.all(inFlight);
    const offeredSeconds = (performance.now() - started) / 1000;
    // Wait for the backlog, so that the next phase starts on an idle service.
    await untilAnswered(loaded.stats, 300_000);
    const answeredSeconds = (performance.now() - started) / 1000;
    const cpuAfter = await service.cpuSeconds();
    const serviceCpuSeconds = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
    await sleep(1000); // a reply sent twice would show up now
    warmup.close();
    single.close();
    loaded.close();
    return { first: warmup.stats().latencies[0], single: single.stats(), loaded: loaded.stats(), total, offeredSeconds, answeredSeconds, serviceCpuSeconds, modelCalls: openAi.calls() };
  } finally {
    await service.stop();
    await twilioApi.close();
    await openAi.close();
  }
}

export const agentTurns: Section = {
  title: 'Agent turns: webhook to reply',
  about: [
    `The service in its own process with its real Twilio client sending to a loopback stand-in of Twilio's API (\`TWILIO_API_BASE_URL\`) in the bench process;`,
    `for the model loop, a loopback OpenAI-compatible server that answers at once (\`OPENAI_BASE_URL\`). Each inbound WhatsApp message is a signed webhook;`,
    `the time measured runs from sending it to the reply reaching the Twilio stand-in: the webhook, its transaction, the turn (guided engine, or the AI SDK loop with`,
    `the clinic's tools and an immediate model answer), storing the reply, and its delivery job — our overhead, with no model time to speak of. First ${WARMUP_MESSAGES} messages`,
    `one at a time to warm the service up (the first is reported), then ${LATENCY_MESSAGES} measured one at a time; then ${RATE} messages/s for ${SECONDS} s from ${CONTACTS} patients (open loop), checking that every message is answered exactly once.`,
    'The first row times, in the bench process, the dates-and-times reading each guided turn does (part of the turn times below).',
  ].join(' '),
  async run(database, progress) {
    const rows: Row[] = [measureWhenParsing()];
    const goals: Goal[] = [];
    const modes = (['guided', 'model'] as const).filter((mode) => (process.env.BENCH_AGENT_MODES ?? 'guided,model').split(',').includes(mode));
    for (const mode of modes) {
      const result = await measureMode(database, mode, progress);
      const single = summarize(result.single.latencies);
      const loaded = summarize(result.loaded.latencies);
      const answered = result.loaded.latencies.length;
      const label = mode === 'guided' ? 'Guided mode' : 'Model loop';
      rows.push(
        { label: `${label}: the first message after the service started`, value: ms(result.first) },
        { label: `${label}: one at a time, webhook → reply handed to Twilio, p50 / p95`, value: `${ms(single.p50)} / ${ms(single.p95)}` },
        { label: `${label}: at ${RATE}/s, p50 / p95 / p99`, value: `${ms(loaded.p50)} / ${ms(loaded.p95)} / ${ms(loaded.p99)}` },
        { label: `${label}: at ${RATE}/s, messages answered / sent (sustained rate)`, value: `${count(answered)} / ${count(result.total)} (${rate(answered / result.answeredSeconds)})` },
        { label: `${label}: at ${RATE}/s, unanswered / answered twice / webhooks refused`, value: `${result.loaded.unanswered} / ${result.loaded.extraReplies} / ${result.loaded.refused}${result.loaded.refusals ? ` (${result.loaded.refusals})` : ''}` },
        {
          label: `${label}: at ${RATE}/s, service process CPU per message (cores busy)`,
          value: result.serviceCpuSeconds === undefined ? '—' : `${ms((result.serviceCpuSeconds * 1000) / result.total)} (${(result.serviceCpuSeconds / result.answeredSeconds).toFixed(2)})`,
        },
      );
      if (mode === 'model') rows.push({ label: 'Model loop: model requests made', value: count(result.modelCalls) });
      goals.push({
        goal: `${label}: our overhead per turn, p95 (one at a time)`,
        target: '< 50 ms',
        measured: ms(percentile([...result.single.latencies].sort((a, b) => a - b), 0.95)),
        met: single.p95 < 50,
      });
      if (database.kind === 'server') {
        const sustained = answered / result.answeredSeconds;
        goals.push({
          goal: `${label}: ${RATE} inbound messages/s sustained, none lost or answered twice`,
          target: `≥ ${RATE}/s, 0 lost, 0 twice`,
          measured: `${rate(sustained)}, ${result.loaded.unanswered} lost, ${result.loaded.extraReplies} twice`,
          met: sustained >= RATE * 0.98 && result.loaded.unanswered === 0 && result.loaded.extraReplies === 0 && result.loaded.refused === 0,
        });
      }
    }
    return { rows, goals };
  },
};
