import type { Caller, Services } from '../../src/context.js';
import { newId } from '../../src/ids.js';
import { Communication } from '../../src/modules/communications/entities.js';
import { Conversation } from '../../src/modules/conversations/entities.js';
import { createApiKey } from '../../src/modules/tenancy/service.js';
import { insertAppointments } from '../../tests/support/appointment-rows.js';
import { patientInput } from '../dataset.js';
import { benchTenant, openInProcess, run } from '../in-process.js';
import type { BenchDatabase, Goal, Section } from '../section.js';
import { startService, type RunningService } from '../service.js';
import { count, ms, summarize } from '../stats.js';

const APPOINTMENTS = 500;
const MESSAGES = 500;
const RUNS = 50;
const WARM_UP = 5;
const GOAL_MS = 500;
const DAY_MS = 86_400_000;

type Dataset = { key: string; patientId: string };

/** One conversation of the patient holding `MESSAGES` messages, in and out by turns, an hour apart, inserted in bulk. */
async function insertMessages(services: Services, caller: Caller, patientId: string): Promise<void> {
  const em = services.orm.em.fork();
  const first = Date.UTC(2025, 0, 1, 9);
  const conversation = {
    id: newId(),
    tenantId: caller.tenant.id,
    channel: 'sms' as const,
    contact: '+12125550100',
    clinicAddress: null,
    patientId,
    verifiedUntil: null,
    historyFrom: null,
    status: 'open' as const,
    handledBy: 'bot' as const,
    handoffTicketId: null,
    optedOutAt: null,
    state: {},
    lastMessageAt: new Date(first),
    closedAt: null,
    createdAt: new Date(first),
    updatedAt: new Date(first),
  };
  await em.insertMany(Conversation, [conversation]);
  const messages = Array.from({ length: MESSAGES }, (_, index) => {
    const at = new Date(first + index * 3_600_000);
    const inbound = index % 2 === 0;
    return {
      id: newId(),
      tenantId: caller.tenant.id,
      conversationId: conversation.id,
      direction: inbound ? ('inbound' as const) : ('outbound' as const),
      authorKind: inbound ? ('patient' as const) : ('bot' as const),
      authorId: null,
      subject: null,
      contentSid: null,
      contentVariables: null,
      body: inbound ? `Question number ${index} about my appointment next week, and whether I should bring my records.` : `Answer ${index}: yes, please bring them; see you on Tuesday at 9:30.`,
      media: [],
      channelMessageId: `SM${index.toString().padStart(32, '0')}`,
      status: inbound ? ('received' as const) : ('delivered' as const),
      error: null,
      sentAt: inbound ? null : at,
      deliveredAt: inbound ? null : new Date(at.getTime() + 2_000),
      createdAt: at,
      updatedAt: at,
    };
  });
  for (let start = 0; start < messages.length; start += 250) await em.insertMany(Communication, messages.slice(start, start + 250));
}

/** A clinic of its own with one patient who has 500 appointments (one a day, 10 % cancelled) and 500 messages, and a staff key. */
async function buildDataset(database: BenchDatabase): Promise<Dataset> {
  const opened = await openInProcess(database);
  try {
    const { services } = opened;
    const caller = await benchTenant(services, 'Bench FHIR clinic');
    const { key } = await createApiKey(services.orm.em.fork(), { tenantId: caller.tenant.id, name: 'bench fhir', role: 'staff' });
    const location = await run<{ id: string }>(services, caller, 'create_location', { name: 'Main Street' });
    const practitioner = await run<{ id: string }>(services, caller, 'create_practitioner', { name: 'Dr. Bench' });
    const patient = await run<{ id: string }>(services, caller, 'create_patient', patientInput(0));
    await insertAppointments(
      services,
      Array.from({ length: APPOINTMENTS }, (_, index) => ({
        tenantId: caller.tenant.id,
        patientId: patient.id,
        practitionerId: practitioner.id,
        locationId: location.id,
        startAt: new Date(Date.UTC(2025, 0, 1, 14) + index * DAY_MS),
        ...(index % 10 === 9 ? { status: 'cancelled' as const, cancelReason: 'Patient asked' } : {}),
      })),
    );
    await insertMessages(services, caller, patient.id);
    return { key, patientId: patient.id };
  } finally {
    await opened.close();
  }
}

/** One GET with the key: its time to the last byte, and its entries. */
async function timedGet(service: RunningService, key: string, path: string): Promise<{ ms: number; bytes: number; entries: number }> {
  const started = performance.now();
  const response = await fetch(`${service.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
  const text = await response.text();
  const elapsed = performance.now() - started;
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return { ms: elapsed, bytes: Buffer.byteLength(text), entries: (JSON.parse(text) as { entry?: unknown[] }).entry?.length ?? 0 };
}

export const fhir: Section = {
  title: 'FHIR: Patient/$everything',
  about: [
    `The service in its own process (\`PRM_PROCESSES=1\`), one client in the bench process. One patient of a clinic of its own with ${count(APPOINTMENTS)} appointments`,
    `(one a day, a tenth cancelled) and ${count(MESSAGES)} messages in and out of one conversation, inserted in bulk: with the patient, the practitioner`,
    `and the location, a Bundle of ${count(APPOINTMENTS + MESSAGES + 3)} resources. \`GET /fhir/R4/Patient/{id}/$everything\` with a staff key,`,
    `${RUNS} times one after another after ${WARM_UP} of warm-up, timed from the request to the last byte of the answer (it goes through the runner,`,
    'and its run log row keeps the answer’s size only). The last line pages through the same messages with `Communication?patient=` and `_count=100`.',
  ].join(' '),
  async run(database, progress) {
    progress(`a patient with ${APPOINTMENTS} appointments and ${MESSAGES} messages`);
    const { key, patientId } = await buildDataset(database);
    const service = await startService(database, { PRM_PROCESSES: '1' });
    try {
      const path = `/fhir/R4/Patient/${patientId}/$everything`;
      const expected = APPOINTMENTS + MESSAGES + 3;
      for (let index = 0; index < WARM_UP; index++) {
        const answer = await timedGet(service, key, path);
        if (answer.entries !== expected) throw new Error(`$everything answered ${answer.entries} entries, not ${expected}`);
      }
      progress(`${RUNS} calls of $everything`);
      const answers: { ms: number; bytes: number }[] = [];
      for (let index = 0; index < RUNS; index++) answers.push(await timedGet(service, key, path));
      const times = summarize(answers.map((answer) => answer.ms));

      let pages = 0;
      let paged = 0;
      const pagingStarted = performance.now();
      for (let next: string | undefined = `/fhir/R4/Communication?patient=Patient/${patientId}&_count=100`; next; pages++) {
        const response = await fetch(`${service.baseUrl}${next}`, { headers: { authorization: `Bearer ${key}` } });
        const page = (await response.json()) as { entry?: unknown[]; link?: { relation: string; url: string }[] };
        paged += page.entry?.length ?? 0;
        next = page.link?.find((link) => link.relation === 'next')?.url;
      }
      const pagingMs = performance.now() - pagingStarted;

      const goals: Goal[] = [
        { goal: `Patient/$everything, ${count(expected)} resources`, target: `p95 < ${GOAL_MS} ms`, measured: ms(times.p95), met: times.p95 < GOAL_MS },
      ];
      return {
        rows: [
          { label: `Patient/$everything, ${count(expected)} resources: p50 / p95 / max of ${RUNS}`, value: `${ms(times.p50)} / ${ms(times.p95)} / ${ms(times.max)}` },
          { label: 'Its answer', value: `${(answers[0].bytes / 1024).toFixed(0)} KiB` },
          { label: `Communication?patient= paged by 100: ${count(paged)} messages in ${pages} pages`, value: ms(pagingMs) },
        ],
        goals,
      };
    } finally {
      await service.stop();
    }
  },
};
