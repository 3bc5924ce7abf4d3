import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { isPublicAddress } from '../src/modules/webhooks/url-safety.js';
import { expectError } from './appointments-fixtures.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

const API = '/api/v1/prm';
const ENDPOINTS = `${API}/webhooks/endpoints`;
const clock = fixedClock(new Date('2026-12-01T12:00:00Z'));
let harness: Harness;
let clinic: TestTenant;
let other: TestTenant;

type Endpoint = { id: string; kind: string; url: string; eventTypes: string[]; enabled: boolean; description: string | null; previousSecretValidUntil: string | null; secret?: string };

beforeAll(async () => {
  harness = await createHarness({ clock, config: { PRM_WEBHOOK_ALLOWED_HOSTS: 'n8n.internal, 127.0.0.1' } });
  clinic = await harness.newTenant();
  other = await harness.newTenant();
});
afterAll(() => harness.close());

const endpointsStored = async (tenant: TestTenant) =>
  (await harness.services.orm.em.fork().execute<{ count: number }[]>(`select count(*)::int as count from webhook_endpoint where tenant_id = ?`, [tenant.tenant.id]))[0].count;

describe('webhook endpoints', () => {
  it('are made with a secret shown once, never listed or logged', async () => {
    const made = await clinic.call<Endpoint>('POST', ENDPOINTS, { url: 'https://93.184.215.14/hooks/prm', eventTypes: ['appointment.*', 'ticket.created', 'ticket.created'], description: 'Front desk' });
    expect(made).toMatchObject({ kind: 'standard', url: 'https://93.184.215.14/hooks/prm', eventTypes: ['appointment.*', 'ticket.created'], enabled: true, description: 'Front desk', previousSecretValidUntil: null });
    expect(made.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const listed = await clinic.call<{ items: Endpoint[] }>('GET', ENDPOINTS);
    expect(listed.items.map((endpoint) => endpoint.id)).toContain(made.id);
    expect(JSON.stringify(listed)).not.toContain(made.secret);
    expect(await clinic.call<Endpoint>('GET', `${ENDPOINTS}/${made.id}`)).not.toHaveProperty('secret');
    const [run] = await harness.services.orm.em.fork().execute<{ output: Record<string, unknown> }[]>(
      `select output from tool_run where tenant_id = ? and tool = 'create_webhook_endpoint' and status = 'succeeded'`,
      [clinic.tenant.id],
    );
    expect(run.output).toMatchObject({ id: made.id, secret: '[redacted]' });
    expect(JSON.stringify(run)).not.toContain(made.secret);
  });

  it('refuses a URL on the service’s own machine or network, naming url, and stores nothing', async () => {
    const before = await endpointsStored(clinic);
    for (const url of ['http://10.0.0.5/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:8080/', 'http://[::ffff:127.0.0.2]/', 'http://localhost:5678/webhook', 'http://100.100.100.200/', 'http://[fd00:ec2::254]/']) {
      const body = await expectError(await clinic.request('POST', ENDPOINTS, { body: { url, eventTypes: ['*'] } }), 422, 'url');
      expect(body.error.message).toMatch(/refused/);
    }
    for (const url of ['ftp://93.184.215.14/x', 'https://user:password@93.184.215.14/x', 'not a url']) await expectError(await clinic.request('POST', ENDPOINTS, { body: { url, eventTypes: ['*'] } }), 422, 'url');
    await expectError(await clinic.request('POST', ENDPOINTS, { body: { url: 'https://93.184.215.14/', eventTypes: ['appointment.**'] } }), 400, 'eventTypes.0');
    await expectError(await clinic.request('POST', ENDPOINTS, { body: { url: 'https://93.184.215.14/', eventTypes: [] } }), 400, 'eventTypes');
    expect(await endpointsStored(clinic)).toBe(before);
  });

  it('takes a local receiver whose host is in PRM_WEBHOOK_ALLOWED_HOSTS', async () => {
    await clinic.call('POST', ENDPOINTS, { url: 'http://127.0.0.1:5678/webhook/prm', eventTypes: ['*'], kind: 'n8n' });
    await clinic.call('POST', ENDPOINTS, { url: 'http://n8n.internal:5678/webhook/prm', eventTypes: ['*'], kind: 'n8n' });
  });

  it('are changed, turned off and on, rotated with the old secret valid for 24 hours, and deleted', async () => {
    const made = await clinic.call<Endpoint>('POST', ENDPOINTS, { url: 'https://93.184.215.14/a', eventTypes: ['*'] });
    await expectError(await clinic.request('PATCH', `${ENDPOINTS}/${made.id}`, { body: { url: 'http://192.168.1.10/' } }), 422, 'url');
    await expectError(await clinic.request('PATCH', `${ENDPOINTS}/${made.id}`, { body: {} }), 400, '(input)');
    expect(await clinic.call<Endpoint>('GET', `${ENDPOINTS}/${made.id}`)).toMatchObject({ url: 'https://93.184.215.14/a' });
    const changed = await clinic.call<Endpoint>('PATCH', `${ENDPOINTS}/${made.id}`, { eventTypes: ['patient.*'], enabled: false, description: null });
    expect(changed).toMatchObject({ eventTypes: ['patient.*'], enabled: false, description: null });
    expect(await clinic.call<Endpoint>('PATCH', `${ENDPOINTS}/${made.id}`, { enabled: true })).toMatchObject({ enabled: true });

    const rotated = await clinic.call<Endpoint>('POST', `${ENDPOINTS}/${made.id}/rotate-secret`);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(made.secret);
    expect(rotated.previousSecretValidUntil).toBe('2026-12-02T12:00:00.000Z');

    expect(await clinic.call('DELETE', `${ENDPOINTS}/${made.id}`)).toEqual({ id: made.id, deleted: true });
    expect((await clinic.request('GET', `${ENDPOINTS}/${made.id}`)).status).toBe(404);
  });

  it('belong to admins of their own clinic', async () => {
    const made = await clinic.call<Endpoint>('POST', ENDPOINTS, { url: 'https://93.184.215.14/b', eventTypes: ['*'] });
    expect((await clinic.request('GET', ENDPOINTS, { key: clinic.keys.staff })).status).toBe(403);
    expect((await clinic.request('POST', ENDPOINTS, { key: clinic.keys.agent, body: { url: 'https://93.184.215.14/c', eventTypes: ['*'] } })).status).toBe(403);
    expect((await other.request('GET', `${ENDPOINTS}/${made.id}`)).status).toBe(404);
    expect((await other.request('DELETE', `${ENDPOINTS}/${made.id}`)).status).toBe(404);
    expect((await other.call<{ items: Endpoint[] }>('GET', ENDPOINTS)).items).toEqual([]);
  });
});

describe('public addresses', () => {
  it('are public unicast only, IPv4 inside IPv6 included', () => {
    for (const address of ['8.8.8.8', '93.184.215.14', '2606:4700:4700::1111']) expect(isPublicAddress(address), address).toBe(true);
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00:ec2::254', '::ffff:10.0.0.1', 'not-an-address']) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });
});
