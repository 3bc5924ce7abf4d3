import { randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioAccount, TwilioNumber } from '../src/modules/conversations/entities.js';
import { TwilioNumbers } from '../src/modules/conversations/twilio-numbers.js';
import { ACCOUNT_SID, API, AUTH_TOKEN } from './support/clinic-fixture.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen } from './support/http-server.js';
import { signedTwilioRequest } from './support/twilio-api.js';

let harness: Harness;
let service: Awaited<ReturnType<typeof listen>>;
/** A number no other test draws: 14 digits, random (a server database keeps the numbers of earlier runs). */
const nextNumber = () => `+1999${randomInt(10 ** 9, 10 ** 10)}`;

const setNumbers = (clinic: TestTenant, numbers: { phoneNumber?: string | null; whatsappNumber?: string | null }) =>
  clinic.request('PUT', `${API}/channels/twilio`, { body: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, ...numbers } });

/** Every clinic holding `number`, by its claim and by its account's columns. */
async function holders(number: string) {
  const em = harness.services.orm.em.fork();
  const claims = await em.find(TwilioNumber, { number }, { filters: false });
  const accounts = await em.find(TwilioAccount, { $or: [{ phoneNumber: number }, { whatsappNumber: number }] }, { filters: false });
  return { claims: claims.map((claim) => claim.tenantId), accounts: accounts.map((account) => account.tenantId) };
}

beforeAll(async () => {
  harness = await createHarness();
  service = await listen(harness.app.fetch);
});
afterAll(async () => {
  await service.close();
  await harness.close();
});

/** A call to `number`, signed with `authToken`, as Twilio posts it. */
function voiceWebhook(number: string, authToken = AUTH_TOKEN): Promise<Response> {
  const url = `${service.url}/channels/twilio/voice`;
  const params = { CallSid: `CA${randomBytes(16).toString('hex')}`, AccountSid: ACCOUNT_SID, From: '+12125550901', To: number, CallStatus: 'ringing' };
  return fetch(url, signedTwilioRequest({ url, authToken, params }));
}

/** What the clinic that has `number` answers a call with. */
const greeting = async (number: string, authToken = AUTH_TOKEN) => (await voiceWebhook(number, authToken)).text();

describe('a Twilio number belongs to one clinic', () => {
  it('refuses another clinic’s SMS or WhatsApp number in either field, with a 409 that does not name the clinic', async () => {
    const first = await harness.newTenant({ name: 'Northside Clinic' });
    const second = await harness.newTenant({ name: 'Southside Clinic' });
    const [phone, whatsapp] = [nextNumber(), nextNumber()];
    expect((await setNumbers(first, { phoneNumber: phone, whatsappNumber: whatsapp })).status).toBe(200);

    for (const numbers of [{ phoneNumber: whatsapp }, { whatsappNumber: phone }, { phoneNumber: phone }, { whatsappNumber: whatsapp }]) {
      const response = await setNumbers(second, numbers);
      expect(response.status, JSON.stringify(numbers)).toBe(409);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('conflict');
      expect(body.error.message).toContain('already used by another clinic');
      expect(JSON.stringify(body)).not.toMatch(new RegExp(`Northside|${first.tenant.slug}|${first.tenant.id}`));
    }
    expect(await holders(phone)).toEqual({ claims: [first.tenant.id], accounts: [first.tenant.id] });
    expect(await holders(whatsapp)).toEqual({ claims: [first.tenant.id], accounts: [first.tenant.id] });

    // Webhooks to the number still reach the clinic that has it.
    const url = `${service.url}/channels/twilio/voice`;
    const params = { CallSid: `CA${'1'.repeat(32)}`, AccountSid: ACCOUNT_SID, From: '+12125550901', To: whatsapp, CallStatus: 'ringing' };
    const greeting = await fetch(url, signedTwilioRequest({ url, authToken: AUTH_TOKEN, params }));
    expect(await greeting.text()).toContain('you have reached Northside Clinic');
  });

  it('lets one clinic use a number for both SMS and WhatsApp, and frees a number it stops using', async () => {
    const first = await harness.newTenant();
    const second = await harness.newTenant();
    const [shared, next] = [nextNumber(), nextNumber()];
    expect((await setNumbers(first, { phoneNumber: shared, whatsappNumber: shared })).status).toBe(200);
    expect((await setNumbers(first, { phoneNumber: shared, whatsappNumber: shared })).status).toBe(200);
    expect((await setNumbers(second, { whatsappNumber: shared })).status).toBe(409);

    expect((await setNumbers(first, { phoneNumber: next, whatsappNumber: null })).status).toBe(200);
    expect((await setNumbers(second, { whatsappNumber: shared })).status).toBe(200);
    expect(await holders(shared)).toEqual({ claims: [second.tenant.id], accounts: [second.tenant.id] });
    expect(await holders(next)).toEqual({ claims: [first.tenant.id], accounts: [first.tenant.id] });
  });

  it('gives a number claimed by two clinics at the same moment to one of them', async () => {
    for (let round = 0; round < 3; round += 1) {
      const clinics = await Promise.all([harness.newTenant(), harness.newTenant(), harness.newTenant()]);
      const number = nextNumber();
      const responses = await Promise.all([
        setNumbers(clinics[0], { phoneNumber: number }),
        setNumbers(clinics[1], { whatsappNumber: number }),
        setNumbers(clinics[2], { phoneNumber: nextNumber(), whatsappNumber: number }),
      ]);
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 200), statuses.join()).toHaveLength(1);
      expect(statuses.filter((status) => status === 409), statuses.join()).toHaveLength(2);
      const owner = clinics[statuses.indexOf(200)].tenant.id;
      expect(await holders(number)).toEqual({ claims: [owner], accounts: [owner] });
    }
  });

  it('sends a number’s webhooks to the clinic it moved to at once', async () => {
    const first = await harness.newTenant({ name: 'Eastside Clinic' });
    const second = await harness.newTenant({ name: 'Westside Clinic' });
    const number = nextNumber();
    expect((await setNumbers(first, { whatsappNumber: number })).status).toBe(200);
    expect(await greeting(number)).toContain('you have reached Eastside Clinic');
    expect((await setNumbers(first, { whatsappNumber: null })).status).toBe(200);
    expect((await setNumbers(second, { whatsappNumber: number })).status).toBe(200);
    expect(await greeting(number)).toContain('you have reached Westside Clinic');
  });
});

describe('the clinic of a number, remembered for a few seconds', () => {
  it('remembers a number’s clinic until the recheck, and never a number no clinic has', async () => {
    const numbers = new TwilioNumbers(harness.services.sql, 300);
    const clinic = await harness.newTenant({ name: 'Lakeside Clinic' });
    const number = nextNumber();
    expect(await numbers.find(number)).toBeUndefined();
    expect((await setNumbers(clinic, { phoneNumber: number })).status).toBe(200);
    expect(await numbers.find(number)).toMatchObject({ authToken: AUTH_TOKEN, tenant: { id: clinic.tenant.id, name: 'Lakeside Clinic' } });

    // Released by another process (as the CLI would): seen here once the recheck time has passed.
    await harness.services.orm.em.fork().nativeDelete(TwilioNumber, { number }, { filters: false });
    expect((await numbers.find(number))?.tenant.id).toBe(clinic.tenant.id);
    await sleep(350);
    expect(await numbers.find(number)).toBeUndefined();
  });

  it('reads a token changed by another process afresh before refusing a webhook signed with it', async () => {
    const clinic = await harness.newTenant({ name: 'Hillside Clinic' });
    const number = nextNumber();
    expect((await setNumbers(clinic, { phoneNumber: number })).status).toBe(200);
    expect(await greeting(number)).toContain('you have reached Hillside Clinic'); // remembered with AUTH_TOKEN

    const rotated = 'rotated-auth-token-0123456789abcd';
    await harness.services.orm.em.fork().nativeUpdate(TwilioAccount, { tenantId: clinic.tenant.id }, { authToken: rotated }, { filters: false });
    expect(await greeting(number, rotated)).toContain('you have reached Hillside Clinic');
    const forged = await voiceWebhook(number, AUTH_TOKEN);
    expect(forged.status).toBe(403);
  });
});

