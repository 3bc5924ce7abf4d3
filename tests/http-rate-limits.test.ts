import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import type { RateLimitSettings } from '../src/config.js';
import { addressBucket } from '../src/http/client-address.js';
import { createRateLimits } from '../src/http/rate-limits.js';
import { ACCOUNT_SID, API, AUTH_TOKEN, openClinic } from './support/clinic-fixture.js';
import { randomSid } from './support/conversation-driver.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen, type Listening } from './support/http-server.js';
import { signedTwilioRequest } from './support/twilio-api.js';

const LIMITS: RateLimitSettings = { keyRequests: 30, keyWrites: 5, addressRequests: 10, addressFailures: 5 };
let harness: Harness;
const servers: Listening[] = [];

beforeAll(async () => {
  harness = await createHarness();
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await harness.close();
});

/** The app on a real socket, with limits of its own (as a fresh process has): tests do not share counts. */
async function service(options: { trustedProxyHops?: number } = {}) {
  const services = { ...harness.services, config: { ...harness.services.config, trustedProxyHops: options.trustedProxyHops ?? 0 }, rateLimits: createRateLimits(LIMITS, harness.services.log) };
  const app = createApp(services);
  const server = await listen(app.fetch);
  servers.push(server);
  const send = (method: string, path: string, options: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { ...(options.key ? { authorization: `Bearer ${options.key}` } : {}), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  return { app, url: server.url, send };
}

async function expectRateLimited(response: Response, maxSeconds: number) {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  expect((await response.json()).error).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: retryAfter } });
}

const statuses = (responses: Response[]) => responses.map((response) => response.status);

describe('limits per API key', () => {
  let clinic: TestTenant;
  beforeAll(async () => {
    clinic = await harness.newTenant();
  });

  it('answers a burst from one key with 429 and Retry-After past its limit; other keys go on', async () => {
    const { send } = await service();
    const burst = await Promise.all(Array.from({ length: LIMITS.keyRequests }, () => send('GET', `${API}/tickets`, { key: clinic.keys.staff })));
    expect(new Set(statuses(burst))).toEqual(new Set([200]));
    await expectRateLimited(await send('GET', `${API}/tickets`, { key: clinic.keys.staff }), 10);
    expect((await send('GET', `${API}/tickets`, { key: clinic.keys.agent })).status).toBe(200);
    const other = await harness.newTenant();
    expect((await send('GET', `${API}/tickets`, { key: other.keys.staff })).status).toBe(200);
  });

  it('limits writes more tightly than reads; a search sent as POST is a read; MCP messages count as writes', async () => {
    const { send } = await service();
    const writes = [];
    for (let index = 0; index < LIMITS.keyWrites; index++) writes.push(await send('POST', `${API}/tickets`, { key: clinic.keys.admin, body: { subject: `Write ${index}` } }));
    expect(new Set(statuses(writes))).toEqual(new Set([201]));
    const refused = await send('POST', `${API}/tickets`, { key: clinic.keys.admin, body: { subject: 'One too many' } });
    expect((await refused.clone().json()).error.message).toContain('writes');
    await expectRateLimited(refused, 10);
    expect((await send('GET', `${API}/tickets`, { key: clinic.keys.admin })).status).toBe(200);
    expect((await send('POST', `${API}/vector/search`, { key: clinic.keys.admin, body: { query: 'parking' } })).status).toBe(200);
    const mcp = await send('POST', '/mcp', { key: clinic.keys.admin, body: { jsonrpc: '2.0', id: 1, method: 'tools/list' }, headers: { accept: 'application/json, text/event-stream' } });
    expect(mcp.status).toBe(429);
  });
});

describe('limits per client address', () => {
  it('answers bad keys with 401 up to the limit, then 429 for every key from that address, a good one too', async () => {
    const { send, app } = await service();
    const clinic = await harness.newTenant();
    // X-Forwarded-For is ignored without trusted proxies: a client cannot pick its own address.
    const attempts = [];
    for (let index = 0; index < LIMITS.addressFailures; index++) {
      attempts.push(await send('GET', `${API}/tickets`, { key: index % 2 ? undefined : `prm_guess_${index}_0123456789abcdef`, headers: { 'x-forwarded-for': `203.0.113.${index}` } }));
    }
    expect(new Set(statuses(attempts))).toEqual(new Set([401]));
    await expectRateLimited(await send('GET', `${API}/tickets`, { key: 'prm_guess_last_0123456789abcdef' }), 60);
    await expectRateLimited(await send('GET', `${API}/tickets`, { key: clinic.keys.admin }), 60);
    await expectRateLimited(await send('POST', '/mcp', { key: clinic.keys.admin, body: {} }), 60);
    // In-process calls have no socket, so no address: only their key is counted.
    expect((await app.request(`${API}/tickets`, { headers: { authorization: `Bearer ${clinic.keys.admin}` } })).status).toBe(200);
  });

  it('counts unsigned and forged Twilio webhooks against the address; a signed webhook is never limited by address', async () => {
    const { url } = await service();
    const clinic = await harness.newTenant();
    const whatsapp = (await openClinic(harness, clinic)).numbers.whatsapp;
    const params = () => ({ MessageSid: randomSid(), AccountSid: ACCOUNT_SID, From: 'whatsapp:+12125550177', To: `whatsapp:${whatsapp}`, Body: 'hi', NumMedia: '0' });
    const post = (options: { signature?: string | null; authToken?: string }) =>
      fetch(`${url}/channels/twilio/messages`, signedTwilioRequest({ url: `${url}/channels/twilio/messages`, authToken: options.authToken ?? AUTH_TOKEN, params: params(), signature: options.signature }));
    const unsigned = [];
    for (let index = 0; index < LIMITS.addressFailures; index++) unsigned.push(await post({ signature: null }));
    expect(new Set(statuses(unsigned))).toEqual(new Set([403]));
    await expectRateLimited(await post({ signature: null }), 60);
    await expectRateLimited(await post({ authToken: 'not-the-clinic-token-0123456789' }), 60);
    for (let index = 0; index < 3; index++) expect((await post({})).status).toBe(200);
  });

  it('limits requests without a key (health, docs, unknown routes) per address', async () => {
    const { send } = await service();
    const allowed = await Promise.all(Array.from({ length: LIMITS.addressRequests }, (_, index) => send('GET', index % 2 ? '/health' : '/nowhere')));
    expect(new Set(statuses(allowed))).toEqual(new Set([200, 404]));
    await expectRateLimited(await send('GET', '/health'), 10);
  });

  it('behind trusted proxies, takes the client from X-Forwarded-For', async () => {
    const { send } = await service({ trustedProxyHops: 1 });
    const guess = (client: string) => send('GET', `${API}/tickets`, { key: 'prm_guess_0123456789abcdef', headers: { 'x-forwarded-for': `198.51.100.99, ${client}` } });
    for (let index = 0; index < LIMITS.addressFailures; index++) expect((await guess('203.0.113.7')).status).toBe(401);
    await expectRateLimited(await guess('203.0.113.7'), 60);
    expect((await guess('203.0.113.8')).status).toBe(401);
  });

  it('counts an IPv6 client by its /64, and an IPv4-mapped address as IPv4', () => {
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe(addressBucket('2001:0db8:0001:0002:bbbb:cccc:dddd:eeee'));
    expect(addressBucket('2001:db8:1:2::1')).not.toBe(addressBucket('2001:db8:1:3::1'));
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
    expect(addressBucket('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressBucket('192.0.2.1')).toBe('192.0.2.1');
  });
});
