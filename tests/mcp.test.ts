import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiKey, revokeApiKey } from '../src/modules/tenancy/service.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen } from './support/http-server.js';

let harness: Harness;
let clinic: TestTenant;
let http: Awaited<ReturnType<typeof listen>>;

async function httpClient(key: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

async function stdioClient(key: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'mcp-server.ts'],
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: inject('databaseUrl'), PRM_API_KEY: key, LOG_LEVEL: 'error' },
    stderr: 'pipe',
  });
  await client.connect(transport);
  return client;
}

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
  http = await listen(harness.app.fetch);
});
afterAll(async () => {
  await http.close();
  await harness.close();
});

describe.each([
  ['Streamable HTTP', httpClient],
  ['stdio', stdioClient],
] as const)('MCP over %s', (door, connect) => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(clinic.keys.admin);
  }, 60_000);
  afterAll(() => client.close());

  it('lists every operation as a tool with schemas and annotations', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(harness.services.registry.operations.map((operation) => operation.name)));
    const create = tools.find((tool) => tool.name === 'create_ticket');
    expect(create?.inputSchema.properties).toHaveProperty('subject');
    expect(create?.outputSchema?.properties).toHaveProperty('id');
    expect(create?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(tools.find((tool) => tool.name === 'list_tickets')?.annotations?.readOnlyHint).toBe(true);
  });

  it('describes formats in a word, without zod’s regexes, and still refuses a value that breaks one', async () => {
    const { tools } = await client.listTools();
    const getTicket = tools.find((tool) => tool.name === 'get_ticket');
    expect(getTicket?.inputSchema.properties?.id).toEqual(expect.objectContaining({ type: 'string', format: 'uuid' }));
    expect(JSON.stringify(tools)).not.toMatch(/"format":"[^"]+","pattern"/);
    const result = await client.callTool({ name: 'get_ticket', arguments: { id: 'not-a-uuid' } });
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]?.text).toMatch(/^invalid_input: [\s\S]*\n- id: /);
  });

  it('runs a tool and returns structured content, logged as an mcp run', async () => {
    const result = await client.callTool({ name: 'create_ticket', arguments: { subject: `Via ${door}` } });
    expect(result.isError).toBeFalsy();
    const ticket = result.structuredContent as { id: string; subject: string; createdBy: { kind: string } };
    expect(ticket).toMatchObject({ subject: `Via ${door}`, createdBy: { kind: 'mcp' } });
    const runs = await clinic.call<{ items: { tool: string; actor: { kind: string }; channel: string; output: { id: string } }[] }>(
      'GET',
      '/api/v1/prm/agents/runs?tool=create_ticket&actorKind=mcp',
    );
    expect(runs.items.some((run) => run.output?.id === ticket.id && run.channel === 'mcp')).toBe(true);
  });

  it('returns bad input as a tool error naming the field, and logs it as rejected', async () => {
    const result = await client.callTool({ name: 'create_ticket', arguments: { subject: 'x', priority: 'whenever' } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('priority');
    const runs = await clinic.call<{ items: { input: { priority?: string } }[] }>('GET', '/api/v1/prm/agents/runs?tool=create_ticket&status=rejected&actorKind=mcp');
    expect(runs.items.some((run) => run.input?.priority === 'whenever')).toBe(true);
  });

  it('replays a call with the same idempotency key', async () => {
    const call = () => client.callTool({ name: 'create_ticket', arguments: { subject: 'Idempotent' }, _meta: { idempotencyKey: `mcp-${door}` } });
    const first = await call();
    const second = await call();
    expect((second.structuredContent as { id: string }).id).toBe((first.structuredContent as { id: string }).id);
  });

  it('refuses a tool the key’s role may not call', async () => {
    const agent = await connect(clinic.keys.agent);
    try {
      const result = await agent.callTool({ name: 'list_tool_runs', arguments: {} });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toContain('forbidden');
    } finally {
      await agent.close();
    }
  }, 60_000);
});

describe('MCP over HTTP authentication', () => {
  it('answers 401 without a valid key', async () => {
    const response = await fetch(`${http.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
  });

  it('keeps tenants apart', async () => {
    const other = await harness.newTenant();
    const mine = await clinic.call<{ id: string }>('POST', '/api/v1/prm/tickets', { subject: 'Private' });
    const client = await httpClient(other.keys.admin);
    try {
      const result = await client.callTool({ name: 'get_ticket', arguments: { id: mine.id } });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toContain('not_found');
    } finally {
      await client.close();
    }
  });
});

describe('a revoked key', () => {
  const freshKey = () => createApiKey(harness.services.orm.em.fork(), { tenantId: clinic.tenant.id, name: 'to revoke', role: 'staff' });
  const revoke = (id: string) => revokeApiKey(harness.services.orm.em.fork(), id);
  const text = (result: Awaited<ReturnType<Client['callTool']>>) => (result.content as { text: string }[])[0]?.text ?? '';

  it('stops a running stdio session within 5 s: its next tool call is an unauthorized tool error', async () => {
    const { key, view } = await freshKey();
    const client = await stdioClient(key);
    try {
      expect((await client.callTool({ name: 'list_tickets', arguments: {} })).isError).toBeFalsy();
      await revoke(view.id);
      const revokedAt = performance.now();
      let refused: Awaited<ReturnType<Client['callTool']>> | undefined;
      while (!refused && performance.now() - revokedAt < 6_000) {
        const result = await client.callTool({ name: 'list_tickets', arguments: {} });
        if (result.isError) refused = result;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(performance.now() - revokedAt).toBeLessThan(5_000);
      expect(refused?.isError).toBe(true);
      expect(text(refused!)).toMatch(/^unauthorized: The API key is unknown or revoked/);
      // And it stays refused.
      expect((await client.callTool({ name: 'create_ticket', arguments: { subject: 'After revocation' } })).isError).toBe(true);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('stops an HTTP MCP client within 5 s: its next request is refused as unauthorized', async () => {
    const { key, view } = await freshKey();
    const client = await httpClient(key);
    try {
      expect((await client.callTool({ name: 'list_tickets', arguments: {} })).isError).toBeFalsy();
      await revoke(view.id);
      const revokedAt = performance.now();
      let refusal: unknown;
      while (!refusal && performance.now() - revokedAt < 6_000) {
        refusal = await client.callTool({ name: 'list_tickets', arguments: {} }).then(() => undefined, (error: unknown) => error);
        if (!refusal) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(performance.now() - revokedAt).toBeLessThan(5_000);
      expect(String(refusal)).toMatch(/unauthorized/);
    } finally {
      await client.close();
    }
  }, 30_000);
});
