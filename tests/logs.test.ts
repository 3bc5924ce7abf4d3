import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentModelFromConfig } from '../src/agent/model.js';
import { loadConfig } from '../src/config.js';
import type { Caller, Services } from '../src/context.js';
import { createLogger } from '../src/log.js';
import { SECRET_NAME } from '../src/tools/logged-input.js';
import { defineOperation } from '../src/tools/operation.js';
import { createRegistry, runOperation } from '../src/tools/runner.js';
import { openClinic } from './support/clinic-fixture.js';
import { patientOn } from './support/conversation-driver.js';
import { ownDatabase, type OwnDatabase } from './support/own-database.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { startOpenAiApi } from './support/openai-api.js';

/**
 * What the service writes to its log, read back at the most talkative level, while a patient verifies
 * and books, the model fails, and a statement fails in the database with a patient's details in it:
 * ids and codes, never a date of birth, a phone number, a message, SQL or a secret.
 */

const lines: string[] = [];
const memory = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(chunk.toString('utf8'));
    done();
  },
});

let harness: Harness;
let clinic: TestTenant;
let openAi: Awaited<ReturnType<typeof startOpenAiApi>>;

const PATIENT = { givenName: 'Marisol', familyName: 'Quenby', dateOfBirth: '1979-11-23', phone: '+12125550188' };
const SECRET_WORDS = 'zebra lantern 4417';

beforeAll(async () => {
  // The model fails on every call: its error carries the whole prompt (the patient's messages) with it.
  openAi = await startOpenAiApi(() => ({ status: 500 }));
  const config = { OPENAI_BASE_URL: openAi.baseUrl, PRM_MODEL: 'local-test-model', PRM_MODEL_TIMEOUT_MS: '3000' };
  harness = await createHarness({ config, agentModel: agentModelFromConfig(loadConfig(config)), log: createLogger({ level: 'trace', destination: memory }) });
  clinic = await harness.newTenant();
  await openClinic(harness, clinic, { twilio: false, phone: PATIENT.phone });
  await clinic.call('POST', '/api/v1/prm/patients', { ...PATIENT, allowDuplicate: true });
});
afterAll(async () => {
  await openAi.close();
  await harness.close();
});

/** Everything logged so far, with the patient's details and anything like SQL found in it. */
function leaks(): string[] {
  const text = lines.join('');
  const digits = PATIENT.phone.replace(/\D/g, '');
  return [
    PATIENT.dateOfBirth,
    '11/23/1979',
    digits,
    digits.slice(1),
    PATIENT.familyName,
    SECRET_WORDS,
    clinic.keys.admin,
    'requestBodyValues',
    'insert into',
    'select ',
    ' where ',
  ].filter((needle) => text.toLowerCase().includes(needle.toLowerCase()));
}

describe('logs hold ids, never health information, message text, SQL or secrets', () => {
  it('while a patient verifies with the model failing, and a statement with their details fails in the database', async () => {
    const patient = patientOn(harness, clinic, PATIENT.phone);
    await patient.say(`hello, ${SECRET_WORDS}, my appointments please`);
    await patient.say('11/23/1979');
    await patient.say(PATIENT.dateOfBirth);
    const turns = await patient.say('my appointments');
    expect(turns.turn.fallbackReason).toContain('model failed');

    // A failure inside the database, with the patient's details among the statement's values.
    const failing = defineOperation({
      name: 'fail_in_database',
      title: 'Fail in the database',
      description: 'Test operation.',
      tag: 'test',
      input: z.object({ note: z.string() }),
      output: z.object({}),
      annotations: { readOnly: false, destructive: false, idempotent: false },
      access: { roles: ['staff'] },
      http: { method: 'post', path: '/test/fail' },
      run: async (ctx, input) => {
        await ctx.em.execute('select ?::uuid', [input.note]);
        return {};
      },
    });
    const caller: Caller = { tenant: clinic.tenant, actor: { kind: 'staff', id: 'test', role: 'admin' }, channel: 'rest' };
    const services: Services = { ...harness.services, registry: createRegistry([failing]) };
    const outcome = await runOperation(services, caller, { tool: 'fail_in_database', input: { note: `${PATIENT.familyName} ${PATIENT.dateOfBirth} ${PATIENT.phone}` } });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'internal' } });
    // The failure's log line names the database's error code, and where it was thrown.
    const failed = lines.map((line) => JSON.parse(line) as { msg: string; err?: { code?: string; stack?: string } }).find((line) => line.msg === 'tool run failed');
    expect(failed?.err).toMatchObject({ code: '22P02', stack: expect.stringContaining('at ') });

    await clinic.request('GET', `/api/v1/prm/patients?phone=${encodeURIComponent(PATIENT.phone)}&api_key=${clinic.keys.admin}`);
    expect(lines.length).toBeGreaterThan(5);
    expect(leaks()).toEqual([]);
  });

  it('a key sent in the query is refused and never kept in the run log', async () => {
    const response = await clinic.request('GET', `/api/v1/prm/tickets?api_key=${clinic.keys.staff}`);
    expect(response.status).toBe(400);
    const [row] = await harness.services.orm.em.fork().getConnection().execute<{ input: unknown }[]>('select input from tool_run where id = ?', [response.headers.get('x-tool-run-id')]);
    expect(JSON.stringify(row.input)).not.toContain(clinic.keys.staff);
    expect(row.input).toMatchObject({ api_key: '[redacted]' });
  });
});

/** Every property of a JSON Schema, at any depth, with its path. */
function properties(schema: JsonNode, path: string[] = []): { path: string[]; node: JsonNode }[] {
  const own = Object.entries(schema.properties ?? {}).flatMap(([name, node]) => [{ path: [...path, name], node }, ...properties(node, [...path, name])]);
  const nested = [...(schema.anyOf ?? []), ...(schema.items ? [schema.items] : [])].flatMap((node) => properties(node, path));
  return [...own, ...nested];
}
type JsonNode = { properties?: Record<string, JsonNode>; anyOf?: JsonNode[]; items?: JsonNode; writeOnly?: boolean };

describe('secrets in tool input', () => {
  const operations = () => harness.services.registry.operations;

  it('every field named like a secret is declared one (writeOnly), so the run log and the docs know it', () => {
    const undeclared = operations().flatMap((operation) =>
      properties(z.toJSONSchema(operation.input, { io: 'input', unrepresentable: 'any' }) as JsonNode)
        .filter(({ path, node }) => SECRET_NAME.test(path.at(-1) ?? '') && node.writeOnly !== true)
        .map(({ path }) => `${operation.name}.${path.join('.')}`),
    );
    expect(undeclared).toEqual([]);
  });

  it('is never written to the run log, whether the call succeeds or is refused, for every tool that takes one', async () => {
    const secretFields = operations().flatMap((operation) =>
      properties(z.toJSONSchema(operation.input, { io: 'input', unrepresentable: 'any' }) as JsonNode)
        .filter(({ node }) => node.writeOnly === true)
        .map(({ path }) => ({ operation, path })),
    );
    expect(secretFields.length).toBeGreaterThan(0);
    for (const { operation, path } of secretFields) {
      const sentinel = `secret-${operation.name}-${path.join('-')}-0123456789abcdef`;
      // Refused (only the secret is sent) and, where the rest of the input is valid, succeeded.
      const attempts = [nestedInput(path, sentinel), { ...validInput[operation.name], ...nestedInput(path, sentinel) }];
      for (const input of attempts) {
        const response = await clinic.request('POST', '/api/v1/prm/agents/run', { body: { tool: operation.name, input } });
        const [row] = await harness.services.orm.em.fork().getConnection().execute<{ input: unknown; output: unknown }[]>('select input, output from tool_run where id = ?', [
          response.headers.get('x-tool-run-id'),
        ]);
        expect(JSON.stringify(row), `${operation.name}: ${response.status}`).not.toContain(sentinel);
      }
    }
    // The valid calls did succeed: the check above covered the succeeded path too.
    const succeeded = await clinic.call<{ items: unknown[] }>('GET', '/api/v1/prm/agents/runs?tool=set_twilio_account&status=succeeded');
    expect(succeeded.items.length).toBeGreaterThan(0);
  });
});

/** `{ a: { b: value } }` for the path [a, b]. */
const nestedInput = (path: string[], value: string): Record<string, unknown> =>
  path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;

/** The rest of a valid input, for the tools that take a secret. */
const validInput: Record<string, Record<string, unknown>> = {
  set_twilio_account: { accountSid: `AC${'0'.repeat(31)}9`, phoneNumber: '+16465550999', whatsappNumber: null },
};

describe('the admin key at start', () => {
  // The service's own database: its job worker would take other test files' due jobs on the shared one
  // (a notification's email sent from here, without SMTP), see own-database.ts.
  let database: OwnDatabase;
  const serveOnce = (env: Record<string, string>) =>
    new Promise<string>((resolve, reject) => {
      let output = '';
      const child = execFile(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
        env: { PATH: process.env.PATH, DATABASE_URL: database.url, PORT: '0', PRM_PROCESSES: '1', LOG_LEVEL: 'info', PRM_SEED_DEMO: 'true', ...env },
        timeout: 60_000,
      });
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('PRM Agent is running')) child.kill('SIGTERM');
      });
      child.on('exit', () => resolve(output));
      child.on('error', reject);
    });

  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'prm-logs-'));
    database = await ownDatabase();
  });
  afterAll(async () => {
    await database.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is printed once, when it is made; later starts say where it is kept; one given in PRM_ADMIN_API_KEY never', async () => {
    const first = await serveOnce({ PRM_DATA_DIR: dataDir });
    const key = /Admin API key: (prm_\S+)/.exec(first)?.[1];
    expect(key, first).toBeDefined();
    const second = await serveOnce({ PRM_DATA_DIR: dataDir });
    expect(second).toContain('PRM Agent is running');
    expect(second).not.toContain(key);
    expect(second).toContain(join(dataDir, 'admin-api-key'));

    const given = 'prm_given_by_the_environment_0123456789';
    const withGiven = await serveOnce({ PRM_DATA_DIR: dataDir, PRM_ADMIN_API_KEY: given });
    expect(withGiven).toContain('PRM Agent is running');
    expect(withGiven).not.toContain(given);
  }, 180_000);
});
