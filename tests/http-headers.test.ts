import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, openClinic } from './support/clinic-fixture.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

let harness: Harness;
let clinic: TestTenant;
let clinicNumber: string;

beforeAll(async () => {
  harness = await createHarness({ config: { PRM_RATE_LIMIT_KEY_WRITES: '10' } });
  clinic = await harness.newTenant();
  clinicNumber = (await openClinic(harness, clinic)).numbers.phone;
});
afterAll(() => harness.close());

/** Writes with the staff key until refused. */
async function overWriteLimit(): Promise<Response> {
  for (let index = 0; ; index++) {
    const response = await clinic.request('POST', `${API}/tickets`, { key: clinic.keys.staff, body: { subject: `Write ${index}` } });
    if (response.status !== 201) return response;
  }
}

const mcpList = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
const mcpHeaders = { accept: 'application/json, text/event-stream' };

/** Representative answers of every kind: data, errors of each status, the MCP door, webhooks, docs. */
const answers: [string, number, () => Response | Promise<Response>][] = [
  ['a REST read', 200, () => clinic.request('GET', `${API}/tickets`)],
  ['a REST write', 201, () => clinic.request('POST', `${API}/tickets`, { body: { subject: 'Headers' } })],
  ['an MCP message', 200, () => clinic.request('POST', '/mcp', { body: mcpList, headers: mcpHeaders })],
  ['bad input', 400, () => clinic.request('POST', `${API}/tickets`, { body: '{"subject":' })],
  ['no key', 401, () => clinic.request('GET', `${API}/tickets`, { key: null })],
  ['an unsigned Twilio webhook', 403, () => harness.app.request('/channels/twilio/messages', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ To: clinicNumber, From: '+12125550100', Body: 'hi' }).toString() })],
  ['an unknown route', 404, () => harness.app.request('/nowhere')],
  ['a body over the limit', 413, () => clinic.request('POST', `${API}/tickets`, { body: ' '.repeat(1024 * 1024 + 1) })],
  ['too many writes', 429, () => overWriteLimit()],
  ['the OpenAPI document', 200, () => harness.app.request('/openapi.json')],
  ['the health check', 200, () => harness.app.request('/health')],
  ['the docs page', 200, () => harness.app.request('/docs')],
];

describe('headers on every answer', () => {
  it.each(answers)('%s (%i): nosniff, not cached, not frameable', async (_, status, send) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('401 names the Bearer scheme, and says when a given key was not accepted', async () => {
    const missing = await clinic.request('GET', `${API}/tickets`, { key: null });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="prm"');
    const unknown = await clinic.request('GET', `${API}/tickets`, { key: 'prm_not_a_key_0123456789abcdef' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer realm="prm", error="invalid_token"');
    const mcp = await clinic.request('POST', '/mcp', { key: null, body: mcpList, headers: mcpHeaders });
    expect(mcp.status).toBe(401);
    expect(mcp.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });
});
