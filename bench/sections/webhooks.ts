import { setTimeout as sleep } from 'node:timers/promises';
import { restClient } from '../api.js';
import type { Goal, Row, Section } from '../section.js';
import { BENCH_API_KEY, startService } from '../service.js';
import { count, ms, rate } from '../stats.js';
import { startReceiver, type Receiver } from '../../tests/support/webhook-receiver.js';
import { RECIPIENTS, setUpRecipients } from './notifications.js';

const EVENTS = RECIPIENTS;
const ENDPOINTS = 3;
const EXPECTED = EVENTS * ENDPOINTS;
/** The killed run: the service is killed once this share of its deliveries has arrived. */
const KILL_AT = 1 / 3;
/**
 * Jobs a killed process was running are taken up again this long after they were claimed (default
 * 120 s). Not shorter: a delivery still running when its lock expires would be sent twice.
 */
const JOB_LOCK_SECONDS = 15;

type Run = { distinct: number; duplicates: number; seconds: number };

/** Deliveries told apart by endpoint (the receiver's path) and webhook-id. */
function tally(receiver: Receiver, from: number) {
  const seen = new Map<string, number>();
  for (const delivery of receiver.received.slice(from)) {
    const key = `${delivery.path} ${String(delivery.headers['webhook-id'])}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const duplicates = [...seen.values()].reduce((sum, times) => sum + times - 1, 0);
  return { distinct: seen.size, duplicates };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition() && Date.now() < deadline; ) await sleep(10);
}

export const webhooks: Section = {
  title: 'Webhooks: fan-out and a kill',
  about: [
    `The service in its own process; a webhook receiver on loopback in the bench process, answering 200 at once. ${ENDPOINTS} endpoints subscribe to`,
    `\`notification.scheduled\`. The ${count(EVENTS)} events come from one bulk send to ${count(RECIPIENTS)} patients (made through the API beforehand),`,
    `due the next day. *Fan-out*: from the bulk request to the last of the ${count(EXPECTED)} deliveries arriving. *Killed*: the same again; once a third`,
    `of its deliveries have arrived the service is killed by its pid (SIGKILL) and started again on the same database (a killed process's running jobs`,
    `are taken up ${JOB_LOCK_SECONDS} s after they were claimed). *Lost*: deliveries that never arrived; *duplicates*: deliveries that arrived more than`,
    `once with one webhook-id at one endpoint.`,
  ].join(' '),
  async run(database, progress) {
    const receiver = await startReceiver('');
    const env = { PRM_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', PRM_JOB_LOCK_SECONDS: String(JOB_LOCK_SECONDS) };
    let service = await startService(database, env);
    try {
      const api = restClient(service.baseUrl, BENCH_API_KEY);
      const { patientIds, templateName } = await setUpRecipients(api, progress);
      for (let index = 0; index < ENDPOINTS; index++) {
        await api.call('POST', '/webhooks/endpoints', { url: `${receiver.url}/endpoint-${index}`, eventTypes: ['notification.scheduled'] });
      }
      const bulkSend = () =>
        api.call('POST', '/notifications/bulk', {
          recipients: { patientIds },
          channel: 'sms',
          purpose: 'care_messages',
          template: { name: templateName },
          values: { note: 'the flu clinic is open this week' },
          sendAt: new Date(Date.now() + 86_400_000).toISOString(),
        });

      const measure = async (duringRun?: () => Promise<void>): Promise<Run> => {
        const from = receiver.received.length;
        const started = performance.now();
        await bulkSend();
        await duringRun?.();
        await until(() => tally(receiver, from).distinct >= EXPECTED, 180_000);
        const last = receiver.received.at(-1)?.at ?? performance.now();
        return { ...tally(receiver, from), seconds: (last - started) / 1000 };
      };

      progress(`${count(EVENTS)} events to ${ENDPOINTS} endpoints`);
      const fanOut = await measure();

      progress(`${count(EVENTS)} events to ${ENDPOINTS} endpoints, the service killed a third of the way`);
      const from = receiver.received.length;
      const killed = await measure(async () => {
        await until(() => tally(receiver, from).distinct >= EXPECTED * KILL_AT, 120_000);
        await service.kill();
        progress(`killed after ${count(tally(receiver, from).distinct)} deliveries; starting it again`);
        service = await startService(database, env);
      });

      const rows: Row[] = [
        { label: `Fan-out: ${count(EXPECTED)} deliveries done in (rate)`, value: `${ms(fanOut.seconds * 1000)} (${rate(fanOut.distinct / fanOut.seconds)})` },
        { label: 'Fan-out: delivered / duplicates', value: `${count(fanOut.distinct)} / ${count(fanOut.duplicates)}` },
        { label: 'Killed mid-run: delivered / lost / duplicates', value: `${count(killed.distinct)} / ${count(EXPECTED - killed.distinct)} / ${count(killed.duplicates)}` },
        { label: 'Killed mid-run: all done in (with the restart)', value: ms(killed.seconds * 1000) },
      ];
      const goals: Goal[] = [
        {
          goal: `${count(EVENTS)} events to ${ENDPOINTS} endpoints`,
          target: `all ${count(EXPECTED)} in < 10 s`,
          measured: `${count(fanOut.distinct)} in ${ms(fanOut.seconds * 1000)}`,
          met: fanOut.distinct === EXPECTED && fanOut.seconds < 10,
        },
        { goal: 'Duplicates by webhook-id at the receiver', target: '0', measured: count(fanOut.duplicates), met: fanOut.duplicates === 0 },
        { goal: 'Deliveries lost after a kill and restart', target: '0', measured: count(EXPECTED - killed.distinct), met: killed.distinct === EXPECTED },
      ];
      const notes = [
        `after the kill, ${count(killed.duplicates)} deliveries arrived twice: sent by the killed process, not yet marked done when it died, sent again after the restart with the same webhook-id (at-least-once; a receiver dedupes by webhook-id).`,
      ];
      return { rows, goals, notes: killed.duplicates > 0 ? notes : [] };
    } finally {
      await service.stop();
      receiver.close();
    }
  },
};
