import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentModelFromConfig } from '../../src/agent/model.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createHarness, type Harness } from '../support/harness.js';
import { startOpenAiApi } from '../support/openai-api.js';
import { startTwilioApi } from '../support/twilio-api.js';
import { buildClinic } from './build-clinic.js';
import type { CaseFile, Expectations, Mode, Turn } from './case-format.js';
import { clinicLine, type ClinicLine } from './clinic-line.js';
import { checkExpectations, checkModelTurn, type TurnRecord } from './expectations.js';
import type { ConversationCase } from './load-cases.js';
import { emptyReferences, resolve, type References } from './references.js';
import { scriptedModel, type ScriptedModel } from './scripted-model.js';
import { checkState } from './state-checks.js';
import { transcript } from './transcript.js';

export type CaseResult = { id: string; task: string; mode: Mode; passed: boolean; failures: string[]; transcript: string; durationMs: number };
export type SuiteDatabase = { url: string; kind: 'server' | 'embedded' };
type Played = { records: TurnRecord[]; references: References };

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const milliseconds = (duration: string) => Number(duration.slice(0, -1)) * UNITS[duration.slice(-1)];

/**
 * Plays conversation cases against the real app: one harness per mode (guided: no model; model: the
 * real @ai-sdk/openai client talking to a scripted OpenAI-compatible stand-in), both on `database`,
 * with one Twilio stand-in, and a tenant of its own for every case. Cases run one at a time: they
 * share the pinned clock and the model's script.
 */
export async function startConversationRunner(database: SuiteDatabase) {
  const twilioApi = await startTwilioApi();
  const model = scriptedModel();
  const openAi = await startOpenAiApi((request) => model.answer(request), { keepRequests: false });
  const dataDir = await mkdtemp(join(tmpdir(), 'prm-conversations-'));
  const clock = fixedClock(new Date());
  const harnesses = new Map<Mode, Promise<Harness>>();

  function harnessFor(mode: Mode): Promise<Harness> {
    let harness = harnesses.get(mode);
    if (!harness) {
      const base = { TWILIO_API_BASE_URL: twilioApi.url, PRM_DATA_DIR: dataDir };
      const config = mode === 'model' ? { ...base, OPENAI_BASE_URL: openAi.baseUrl, PRM_MODEL: 'scripted-model', PRM_MODEL_TIMEOUT_MS: '10000' } : base;
      const agentModel = mode === 'model' ? agentModelFromConfig(loadConfig(config)) : undefined;
      harness = createHarness({ clock, config, agentModel, databaseUrl: database.url, databaseKind: database.kind });
      harnesses.set(mode, harness);
    }
    return harness;
  }

  async function run(loaded: ConversationCase, mode: Mode): Promise<CaseResult> {
    const started = performance.now();
    const heading = `${loaded.id} [${mode}]${loaded.spec?.about ? ` — ${loaded.spec.about}` : ''}`;
    // What the run got to, kept for the transcript when it stops half-way.
    const played: Played = { records: [], references: emptyReferences() };
    const failures = loaded.spec ? [] : loaded.problems.map((problem) => `the case file is not valid: ${problem}`);
    if (loaded.spec) {
      try {
        failures.push(...(await play({ spec: loaded.spec, mode, played, harness: await harnessFor(mode) })));
      } catch (error) {
        failures.push(`the run stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
    const header = loaded.spec ? `${heading}\n      ${describeSetting(loaded.spec)}` : heading;
    return { id: loaded.id, task: loaded.task, mode, passed: failures.length === 0, failures, transcript: transcript(header, played.records, played.references), durationMs: performance.now() - started };
  }

  async function play(options: { spec: CaseFile; mode: Mode; played: Played; harness: Harness }): Promise<string[]> {
    const { spec, mode, played, harness } = options;
    clock.set(new Date(spec.clock));
    const clinic = await harness.newTenant({ name: spec.clinic.name, timeZone: spec.clinic.time_zone });
    const { references, numbers } = await buildClinic(clinic, spec.clinic);
    played.references = references;
    // What the clinic's setup set going (reminder syncs of its appointments …) is done before the patient writes.
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    const contact = spec.from.startsWith('+') ? spec.from : spec.clinic.patients[spec.from]?.phone;
    if (!contact) throw new Error(`from names patient "${spec.from}", whom the clinic does not have`);
    const line = clinicLine({ harness, clinic, twilioApi, numbers, channel: spec.channel, contact });
    const failures: string[] = [];
    for (const [index, turn] of spec.turns.entries()) {
      if (turn.advance) clock.advance(milliseconds(turn.advance));
      const record = await playTurn({ spec, turn, mode, line, references, model });
      played.records.push(record);
      const blocks = [turn, mode === 'guided' ? turn.guided : turn.model].filter((block): block is Expectations => block !== undefined).map((block) => resolve(block, references));
      const stateFailures: string[] = [];
      for (const block of blocks) if (block.state) stateFailures.push(...(await checkState(block.state, { clinic, references, channel: spec.channel, contact })));
      const turnFailures = [
        ...record.problems,
        ...checkExpectations(blocks, record),
        ...(mode === 'model' ? checkModelTurn(turn.model && resolve(turn.model, references), record) : []),
        ...stateFailures,
      ];
      failures.push(...turnFailures.map((failure) => `turn ${index + 1} (${record.action}): ${failure}`));
    }
    return failures;
  }

  return {
    run,
    async close(): Promise<void> {
      for (const harness of harnesses.values()) await (await harness).close();
      await openAi.close();
      await twilioApi.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
export type ConversationRunner = Awaited<ReturnType<typeof startConversationRunner>>;

const describeSetting = (spec: CaseFile) => `${spec.from} on ${spec.channel} to ${spec.clinic.name} (${spec.clinic.time_zone}), clock ${spec.clock}`;

/** Plays one turn: the patient's message (or the clinic's reminder), then reads back what happened. */
async function playTurn(options: { spec: CaseFile; turn: Turn; mode: Mode; line: ClinicLine; references: References; model: ScriptedModel }): Promise<TurnRecord> {
  const { spec, turn, mode, line, references, model } = options;
  if (mode === 'model') model.load(turn.model?.script && resolve(turn.model.script, references));
  const mark = line.sentCount();
  const record: TurnRecord = { action: '', replies: [], runs: [], agentTurn: null, model: null, problems: [] };
  if (turn.reminder) {
    const appointment = spec.clinic.appointments.find((candidate) => candidate.ref === turn.reminder);
    const appointmentId = references.appointment.get(turn.reminder);
    const patientId = appointment && references.patient.get(appointment.patient);
    if (!appointmentId || !patientId) throw new Error(`reminder names appointment "${turn.reminder}", which the clinic does not have`);
    record.action = `the clinic sends a reminder of appointment ${turn.reminder}`;
    await line.remind(patientId, appointmentId);
  } else {
    const media = turn.media ?? [];
    record.action = `patient: ${media.length > 0 ? `[${media.join(', ')}] ` : ''}${turn.say ?? ''}`.trimEnd();
    const sent = await line.send(turn.say ?? '', media);
    if (sent.status !== 200) record.problems.push(`the webhook answered ${sent.status}`);
    record.agentTurn = await line.agentTurn(sent.messageSid);
  }
  record.replies = line.sentSince(mark);
  record.runs = await line.newToolRuns();
  record.model = mode === 'model' ? model.finish() : null;
  return record;
}
