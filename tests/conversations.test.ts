import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_SID, API, AUTH_TOKEN, openClinic, type TestPatient } from './support/clinic-fixture.js';
import { patientOn } from './support/conversation-driver.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { startTwilioApi } from './support/twilio-api.js';

type ConversationView = { id: string; channel: string; contact: string; status: string; handledBy: string; patientId: string | null; verified: boolean };
type Page<T> = { items: T[]; nextCursor: string | null };
type MessageView = { id: string; direction: string; author: { kind: string; id: string | null }; body: string; status: string };

let harness: Harness;
let clinic: TestTenant;
let maria: TestPatient;
let twilioApi: Awaited<ReturnType<typeof startTwilioApi>>;
let conversationId: string;

beforeAll(async () => {
  twilioApi = await startTwilioApi();
  harness = await createHarness({ config: { TWILIO_API_BASE_URL: twilioApi.url } });
  clinic = await harness.newTenant();
  maria = (await openClinic(harness, clinic)).patient;
  conversationId = (await patientOn(harness, clinic, maria.phone).say('HELP')).conversationId;
  await patientOn(harness, clinic, '+12125550601', 'sms').say('HELP');
});
afterAll(async () => {
  await twilioApi.close();
  await harness.close();
});

describe('conversations for staff', () => {
  it('lists and filters conversations, most recent first', async () => {
    const all = await clinic.call<Page<ConversationView>>('GET', `${API}/conversations`);
    expect(all.items.map((item) => item.contact)).toEqual(['+12125550601', maria.phone]);
    const sms = await clinic.call<Page<ConversationView>>('GET', `${API}/conversations?channel=sms`);
    expect(sms.items.map((item) => item.contact)).toEqual(['+12125550601']);
    const paged = await clinic.call<Page<ConversationView>>('GET', `${API}/conversations?limit=1`);
    const next = await clinic.call<Page<ConversationView>>('GET', `${API}/conversations?limit=1&cursor=${paged.nextCursor}`);
    expect([...paged.items, ...next.items].map((item) => item.id)).toEqual(all.items.map((item) => item.id));
  });

  it('reads a thread with both authors marked', async () => {
    const thread = await clinic.call<Page<MessageView>>('GET', `${API}/conversations/${conversationId}/messages`);
    expect(thread.items.map((message) => [message.direction, message.author.kind])).toEqual([
      ['outbound', 'bot'],
      ['inbound', 'patient'],
    ]);
  });

  it('sends a staff message over the conversation’s channel, signed as staff', async () => {
    const before = twilioApi.sent.length;
    const response = await clinic.request('POST', `${API}/conversations/${conversationId}/messages`, { body: { body: 'Hi Maria, this is Ana from the front desk.' } });
    expect(response.status).toBe(201);
    const sentMessage = (await response.json()) as MessageView;
    expect(sentMessage).toMatchObject({ direction: 'outbound', author: { kind: 'staff' }, status: 'queued' });
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    expect(twilioApi.sent.slice(before)).toEqual([expect.objectContaining({ to: `whatsapp:${maria.phone}`, body: 'Hi Maria, this is Ana from the front desk.' })]);
    const thread = await clinic.call<Page<MessageView>>('GET', `${API}/conversations/${conversationId}/messages?limit=1`);
    expect(thread.items[0]).toMatchObject({ id: sentMessage.id, status: 'sent' });
  });

  it('takes over from the bot and hands back', async () => {
    const driver = patientOn(harness, clinic, maria.phone);
    expect((await clinic.call<ConversationView>('POST', `${API}/conversations/${conversationId}/take-over`)).handledBy).toBe('staff');
    expect((await driver.say('hello')).reply).toBeNull();
    expect((await clinic.call<Page<ConversationView>>('GET', `${API}/conversations?handledBy=staff`)).items.map((item) => item.id)).toEqual([conversationId]);
    expect((await clinic.call<ConversationView>('POST', `${API}/conversations/${conversationId}/hand-back`)).handledBy).toBe('bot');
    expect((await driver.say('HELP')).reply).toBeTruthy();
  });

  it('closes, and a new message reopens', async () => {
    expect((await clinic.call<ConversationView>('POST', `${API}/conversations/${conversationId}/close`)).status).toBe('closed');
    await patientOn(harness, clinic, maria.phone).say('HELP');
    expect((await clinic.call<ConversationView>('GET', `${API}/conversations/${conversationId}`)).status).toBe('open');
    await clinic.call('POST', `${API}/conversations/${conversationId}/close`);
    expect((await clinic.call<ConversationView>('POST', `${API}/conversations/${conversationId}/reopen`)).status).toBe('open');
  });

  it('links a patient staff identified, verified for the configured time', async () => {
    const linked = await clinic.call<ConversationView>('POST', `${API}/conversations/${conversationId}/link-patient`, { patientId: maria.id });
    expect(linked).toMatchObject({ patientId: maria.id, verified: true });
  });

  it('lists the agent’s turns with their mode and steps', async () => {
    const turns = await clinic.call<Page<{ mode: string; outcome: string }>>('GET', `${API}/conversations/${conversationId}/turns`);
    expect(turns.items.length).toBeGreaterThanOrEqual(3);
    expect(turns.items.map((turn) => turn.outcome)).toContain('silent');
    expect(turns.items.every((turn) => turn.mode === 'guided')).toBe(true);
  });

  it('keeps tenants apart and threads away from agent keys', async () => {
    const other = await harness.newTenant();
    expect((await other.call<Page<ConversationView>>('GET', `${API}/conversations`)).items).toEqual([]);
    for (const path of ['', '/messages', '/turns']) expect((await other.request('GET', `${API}/conversations/${conversationId}${path}`)).status).toBe(404);
    expect((await other.request('POST', `${API}/conversations/${conversationId}/messages`, { body: { body: 'x' } })).status).toBe(404);
    expect((await other.request('POST', `${API}/conversations/${conversationId}/take-over`)).status).toBe(404);
    expect((await clinic.request('GET', `${API}/conversations`, { key: clinic.keys.agent })).status).toBe(403);
  });
});

describe('the clinic profile', () => {
  it('is changed by an admin, and the agent verifies patients the way it says', async () => {
    const updated = await clinic.call<{ name: string; hours: string; verification: string }>('PATCH', `${API}/clinic`, {
      name: 'Harbor Family Clinic',
      hours: 'Mon-Fri 8-18',
      verification: 'date_of_birth_and_family_name',
    });
    expect(updated).toMatchObject({ name: 'Harbor Family Clinic', hours: 'Mon-Fri 8-18', verification: 'date_of_birth_and_family_name' });
    expect((await clinic.request('PATCH', `${API}/clinic`, { key: clinic.keys.staff, body: { hours: 'never' } })).status).toBe(403);

    const other = (await patientOn(harness, clinic, '+12125550602').say('HELP')).conversationId;
    await clinic.call('POST', `${API}/patients`, { givenName: 'Ann', familyName: 'Lee', dateOfBirth: '1970-01-01', phone: '+12125550602', allowDuplicate: true });
    const askName = await clinic.call<{ verified: boolean; outcome: string }>('POST', `${API}/conversations/${other}/verify`, { dateOfBirth: '1970-01-01' });
    expect(askName).toMatchObject({ verified: false, outcome: 'needs_family_name' });
    const wrong = await clinic.call<{ verified: boolean; outcome: string }>('POST', `${API}/conversations/${other}/verify`, { dateOfBirth: '1970-01-01', familyName: 'Smith' });
    expect(wrong).toMatchObject({ verified: false, outcome: 'mismatch' });
    const right = await clinic.call<{ verified: boolean; outcome: string }>('POST', `${API}/conversations/${other}/verify`, { dateOfBirth: '1970-01-01', familyName: 'lee' });
    expect(right).toMatchObject({ verified: true, outcome: 'verified' });
  });
});

describe('the clinic’s Twilio account', () => {
  it('is set by an admin, never shows the token, and keeps it out of the run log', async () => {
    const view = await clinic.call<{ configured: boolean; accountSid: string; webhooks: { messages: string } }>('GET', `${API}/channels/twilio`);
    expect(view).toMatchObject({ configured: true, accountSid: ACCOUNT_SID });
    expect(JSON.stringify(view)).not.toContain(AUTH_TOKEN);
    const runs = await clinic.call<Page<{ input: { authToken?: string } }>>('GET', `${API}/agents/runs?tool=set_twilio_account`);
    expect(runs.items[0].input.authToken).toBe('[redacted]');
    const staffTry = await clinic.request('PUT', `${API}/channels/twilio`, { key: clinic.keys.staff, body: { accountSid: `AC${'1'.repeat(32)}`, authToken: 'x'.repeat(20) } });
    expect(staffTry.status).toBe(403);
  });
});
