import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Operation } from '../src/tools/operation.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen } from './support/http-server.js';

/**
 * Input an attacker would send, at every route: each is a 400 `invalid_input` naming the field, is in
 * the run log as a refusal, and changes nothing. Never a 500.
 */

let harness: Harness;
let clinic: TestTenant;
let http: Awaited<ReturnType<typeof listen>>;

const UUID = '01a248bf-a556-7780-a974-d9c88aee22c9';
const API = '/api/v1/prm';

beforeAll(async () => {
  // Thousands of calls from one key in seconds: the key's rate limits (tests/http-rate-limits.test.ts) are raised out of the way.
  harness = await createHarness({ config: { PRM_RATE_LIMIT_KEY_REQUESTS: '1000000', PRM_RATE_LIMIT_KEY_WRITES: '1000000' } });
  clinic = await harness.newTenant();
  http = await listen(harness.app.fetch);
});
afterAll(async () => {
  await http.close();
  await harness.close();
});

type Property = { type?: string; format?: string; pattern?: string; anyOf?: Property[] };

const operations = () => harness.services.registry.operations;
const pathKeys = (operation: Operation) => [...operation.http.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
const takesBody = (operation: Operation) => ['post', 'put', 'patch'].includes(operation.http.method);

/** The input's fields (not the path's), with their JSON Schema. */
function fields(operation: Operation): [string, Property][] {
  const schema = z.toJSONSchema(operation.input, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, Property> };
  const path = pathKeys(operation);
  return Object.entries(schema.properties ?? {}).filter(([name]) => !path.includes(name));
}

const variants = (property: Property): Property[] => [property, ...(property.anyOf ?? [])];
const isUuid = (property: Property) => variants(property).some((variant) => variant.format === 'uuid');
const isInstant = (property: Property) => variants(property).some((variant) => variant.format === 'date-time' || (variant.pattern ?? '').includes('T\\d{2}'));
const isDate = (property: Property) => variants(property).some((variant) => variant.format === 'date');

/** Row counts of every tenant-owned table but the run log (a virtual entity is a query, no table). */
async function snapshot(): Promise<Record<string, number>> {
  const em = harness.services.orm.em.fork();
  const tables = Object.values(harness.services.orm.getMetadata().getAll())
    .filter((meta) => !meta.virtual && meta.properties.tenantId && meta.tableName !== 'tool_run')
    .map((meta) => meta.tableName);
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await em.getConnection().execute<{ count: string }[]>(`select count(*) from ${table} where tenant_id = ?`, [clinic.tenant.id]);
    counts[table] = Number(row.count);
  }
  return counts;
}

async function runStatus(runId: string | null): Promise<string | undefined> {
  if (!runId) return undefined;
  const [row] = await harness.services.orm.em.fork().getConnection().execute<{ status: string }[]>('select status from tool_run where id = ?', [runId]);
  return row?.status;
}

type Attempt = { label: string; method: string; path: string; body?: string; headers?: Record<string, string>; field?: string };

/** Sends it as raw text (so that JSON escapes such as \ud800 reach the parser as written). */
async function send(attempt: Attempt): Promise<Response> {
  return harness.app.request(attempt.path, {
    method: attempt.method,
    headers: { authorization: `Bearer ${clinic.keys.admin}`, ...(attempt.body !== undefined ? { 'content-type': 'application/json' } : {}), ...attempt.headers },
    body: attempt.body,
  });
}

/** Expects the refusal the issue asks for; returns a description of what was wrong instead, if anything. */
async function refusalProblem(attempt: Attempt): Promise<string | undefined> {
  const response = await send(attempt);
  const text = await response.text();
  if (response.status !== 400) return `${attempt.label}: ${response.status} ${text.slice(0, 300)}`;
  const body = JSON.parse(text) as { error: { code: string; issues?: { path: string }[] } };
  if (body.error.code !== 'invalid_input') return `${attempt.label}: code ${body.error.code}`;
  const paths = body.error.issues?.map((issue) => issue.path) ?? [];
  if (attempt.field && !paths.some((path) => path === attempt.field || path.startsWith(`${attempt.field}.`))) return `${attempt.label}: issues ${JSON.stringify(paths)} do not name ${attempt.field}`;
  const runId = response.headers.get('x-tool-run-id');
  if (attempt.path.startsWith(API) && (await runStatus(runId)) !== 'rejected') return `${attempt.label}: no rejected run logged (${runId})`;
  return undefined;
}

function routePath(operation: Operation, replace: (key: string) => string = () => UUID): string {
  return API + operation.http.path.replace(/\{(\w+)\}/g, (_, key: string) => replace(key));
}

/** One field set to `value` (raw JSON text in a body, raw text in a query). */
function withField(operation: Operation, label: string, field: string, json: string, query: string): Attempt {
  return takesBody(operation)
    ? { label: `${operation.name} ${label}`, method: operation.http.method.toUpperCase(), path: routePath(operation), body: `{${JSON.stringify(field)}:${json}}`, field }
    : { label: `${operation.name} ${label}`, method: operation.http.method.toUpperCase(), path: `${routePath(operation)}?${encodeURIComponent(field)}=${query}`, field };
}

function hostileAttempts(): Attempt[] {
  const attempts: Attempt[] = [];
  for (const operation of operations()) {
    const method = operation.http.method.toUpperCase();
    const [first] = fields(operation);
    const field = first?.[0] ?? 'anything';
    attempts.push(withField(operation, 'an unknown field', 'unexpectedField', 'true', 'true'));
    attempts.push(withField(operation, 'NUL in a value', field, '"a\\u0000b"', 'a%00b'));
    if (takesBody(operation)) {
      // Only JSON can carry a lone surrogate (\ud800); percent-encoded UTF-8 cannot.
      attempts.push(withField(operation, 'lone surrogate in a value', field, '"a\\ud800b"', ''));
      attempts.push({ label: `${operation.name} NUL in a key`, method, path: routePath(operation), body: '{"a\\u0000b": 1}' });
      attempts.push({ label: `${operation.name} lone surrogate in a key`, method, path: routePath(operation), body: '{"\\udc00": 1}' });
      attempts.push({ label: `${operation.name} __proto__ key`, method, path: routePath(operation), body: '{"__proto__": {"polluted": true}}', field: '__proto__' });
      attempts.push({ label: `${operation.name} constructor key`, method, path: routePath(operation), body: '{"constructor": {"prototype": {"polluted": true}}}', field: 'constructor' });
      for (const depth of [5_000, 10_000]) {
        attempts.push({ label: `${operation.name} nested ${depth} deep`, method, path: routePath(operation), body: `{${JSON.stringify(field)}:${'['.repeat(depth)}${']'.repeat(depth)}}` });
      }
    } else {
      for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
        attempts.push({ label: `${operation.name} query key ${key}`, method, path: `${routePath(operation)}?${key}=1`, field: key });
      }
    }
    for (const key of pathKeys(operation)) {
      for (const [label, value] of [['not a uuid', 'not-a-uuid'], ['%00', '%00'], ['uuid with a trailing x', `${UUID}x`], ['uuid and SQL', encodeURIComponent(`${UUID}' or 1=1`)]]) {
        attempts.push({ label: `${operation.name} path ${key} ${label}`, method, path: routePath(operation, (name) => (name === key ? value : UUID)), body: takesBody(operation) ? '{}' : undefined, field: key });
      }
    }
    for (const [name, property] of fields(operation)) {
      if (isUuid(property)) {
        attempts.push(withField(operation, `${name} uuid with a trailing x`, name, JSON.stringify(`${UUID}x`), `${UUID}x`));
        attempts.push(withField(operation, `${name} uuid and SQL`, name, JSON.stringify(`${UUID}' or 1=1`), encodeURIComponent(`${UUID}' or 1=1`)));
      }
      if (isInstant(property)) {
        for (const value of ['0000-01-01T00:00:00Z', '2026-12-01T09:00:00+99:99', '2026-12-01T09:00:00+14:60', '99999-01-01T00:00:00Z', '2026-02-30T09:00:00Z']) {
          attempts.push(withField(operation, `${name} ${value}`, name, JSON.stringify(value), encodeURIComponent(value)));
        }
      }
      if (isDate(property)) {
        for (const value of ['0000-01-01', '2026-02-30', '1899-12-31']) attempts.push(withField(operation, `${name} ${value}`, name, JSON.stringify(value), value));
      }
      if (name === 'cursor') {
        const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
        for (const [label, cursor] of [
          ['malformed', '!!!not-a-cursor'],
          ['forged id', forged(['2026-01-01T00:00:00.000Z', `${UUID}' or 1=1`])],
          ['forged year 0', forged(['0000-01-01T00:00:00.000Z', UUID])],
          ['out of range', forged(['+275760-09-13T00:00:00.000Z', UUID])],
          ['wrong shape', forged({ at: 1 })],
          ['forged score', forged({ score: 'NaN; drop table patient', id: UUID })],
          ['null', forged(null)],
        ]) {
          attempts.push(withField(operation, `cursor ${label}`, 'cursor', JSON.stringify(cursor), encodeURIComponent(cursor)));
        }
      }
    }
  }
  return attempts;
}

describe('hostile input at every route answers 400 naming the field, logs the refusal, stores nothing', () => {
  it('REST', async () => {
    const before = await snapshot();
    const problems: string[] = [];
    for (const attempt of hostileAttempts()) {
      const problem = await refusalProblem(attempt);
      if (problem) problems.push(problem);
    }
    expect(problems).toEqual([]);
    expect(await snapshot()).toEqual(before);
  }, 120_000);

  it('a body that is not JSON', async () => {
    const response = await send({ label: 'not JSON', method: 'POST', path: `${API}/tickets`, body: '{"subject": ' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { issues: { path: string }[] } }).error.issues[0].path).toBe('body');
  });

  it('an Idempotency-Key past 200 characters, or with control characters', async () => {
    for (const key of ['k'.repeat(3_000), 'a\tb']) {
      const problem = await refusalProblem({ label: 'long key', method: 'POST', path: `${API}/tickets`, body: '{"subject":"Hello"}', headers: { 'idempotency-key': key }, field: 'idempotencyKey' });
      expect(problem).toBeUndefined();
    }
  });

  it('/agents/run: a tool name or input with NUL, lone surrogates or deep nesting', async () => {
    for (const [label, body, field] of [
      ['NUL in the tool name', '{"tool":"get_\\u0000patient","input":{}}', 'tool'],
      ['lone surrogate in the tool name', '{"tool":"\\ud800","input":{}}', 'tool'],
      ['NUL in the input', '{"tool":"create_ticket","input":{"subject":"\\u0000"}}', 'subject'],
      ['NUL in the idempotency key', '{"tool":"create_ticket","input":{"subject":"x"},"idempotencyKey":"a\\u0000"}', 'idempotencyKey'],
      ['deep input', `{"tool":"create_ticket","input":{"subject":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`, undefined],
    ] as const) {
      expect(await refusalProblem({ label, method: 'POST', path: `${API}/agents/run`, body, field })).toBeUndefined();
    }
  });

  it('a refusal of nearly 1 MB (the most a body may be) is logged as a bounded prefix with its size and hash', async () => {
    const big = 'x'.repeat(1000 * 1000);
    const response = await send({ label: 'big', method: 'POST', path: `${API}/tickets`, body: JSON.stringify({ subject: big, unexpected: true }) });
    expect(response.status).toBe(400);
    const [row] = await harness.services.orm.em
      .fork()
      .getConnection()
      .execute<{ status: string; size: number; input: { truncated: boolean; bytes: number; sha256: string; prefix: string } }[]>(
        'select status, pg_column_size(input) as size, input from tool_run where id = ?',
        [response.headers.get('x-tool-run-id')],
      );
    expect(row.status).toBe('rejected');
    expect(row.size).toBeLessThan(8_192);
    expect(row.input).toMatchObject({ truncated: true, bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(row.input.bytes).toBeGreaterThan(1000 * 1000);
    expect(row.input.prefix.length).toBeLessThanOrEqual(4_096);
  });
});

describe('MCP: hostile input is a tool error, never a protocol error, and never shows SQL or input', () => {
  let mcp: Client;
  beforeAll(async () => {
    mcp = new Client({ name: 'hostile', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${clinic.keys.admin}` } } }));
  });
  afterAll(() => mcp.close());

  it.each([
    ['NUL in a value', 'create_ticket', { subject: 'a\u0000b' }, 'subject'],
    ['lone surrogate in a value', 'create_ticket', { subject: '\ud800' }, 'subject'],
    ['NUL in a key', 'create_ticket', { 'sub\u0000ject': 'x' }, undefined],
    ['uuid with a trailing x', 'get_patient', { id: `${UUID}x` }, 'id'],
    ['year 0', 'list_tickets', { createdSince: '0000-01-01T00:00:00Z' }, 'createdSince'],
    ['NUL in the tool name', 'get_\u0000patient', {}, 'tool'],
  ] as const)('%s', async (_label, name, args, field) => {
    const result = await mcp.callTool({ name, arguments: args as Record<string, unknown> });
    expect(result.isError).toBe(true);
    const text = (result.content as { type: string; text: string }[])[0].text;
    expect(text).toMatch(/^invalid_input: /);
    if (field) expect(text).toContain(`- ${field}: `);
    expect(text).not.toMatch(/select |insert into|\bat [\w.]+ \(/i);
  });

  it('input nested 10,000 deep (sent raw: the SDK client cannot even write it)', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const response = await fetch(`${http.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clinic.keys.admin}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"create_ticket","arguments":{"subject":${deep}}}}`,
    });
    const answer = (await response.json()) as { id: number; result?: { isError?: boolean; content: { text: string }[] }; error?: unknown };
    expect(answer.error).toBeUndefined();
    expect(answer.result?.isError).toBe(true);
    expect(answer.result?.content[0].text).toMatch(/^invalid_input: .*nested deeper than/s);
  });
});
