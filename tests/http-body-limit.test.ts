import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_SID, API, AUTH_TOKEN, openClinic } from './support/clinic-fixture.js';
import { randomSid } from './support/conversation-driver.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen, type Listening } from './support/http-server.js';
import { postWithoutStopping } from './support/raw-http.js';
import { signedTwilioRequest } from './support/twilio-api.js';

const MIB = 1024 * 1024;
let harness: Harness;
let clinic: TestTenant;
let server: Listening;
let clinicWhatsapp: string;

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
  clinicWhatsapp = (await openClinic(harness, clinic)).numbers.whatsapp;
  server = await listen(harness.app.fetch);
});
afterAll(async () => {
  await server.close();
  await harness.close();
});

/** A valid ticket, padded with whitespace (valid JSON) to `size` bytes. */
const paddedTicket = (size: number) => {
  const json = JSON.stringify({ subject: 'A long letter' });
  return `${json.slice(0, -1)}${' '.repeat(size - json.length)}}`;
};

describe('request bodies over the limit', () => {
  it.each(['content-length', 'chunked'] as const)('refuse a 20 MB JSON post (%s) with 413 at once, reading little of it', async (framing) => {
    const before = server.bytesRead();
    const answer = await postWithoutStopping({
      port: server.port,
      path: `${API}/tickets`,
      headers: { authorization: `Bearer ${clinic.keys.admin}`, 'content-type': 'application/json' },
      size: 20 * MIB,
      framing,
    });
    const read = server.bytesRead() - before;
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'payload_too_large', details: { limitBytes: MIB } } });
    expect(answer.headers.connection).toBe('close');
    expect(answer.ms).toBeLessThan(2000);
    // With a length the server reads only what was in flight; without one, it stops just past the limit.
    expect(read).toBeLessThan(framing === 'chunked' ? 3 * MIB : MIB);
  });

  it('refuses a large body before the key is looked up: no key needed to get the 413', async () => {
    const answer = await postWithoutStopping({ port: server.port, path: `${API}/tickets`, headers: { 'content-type': 'application/json' }, size: 20 * MIB, framing: 'content-length' });
    expect(answer.status).toBe(413);
  });

  it('refuses an MCP message over 1 MB and a Twilio webhook over 128 KB', async () => {
    const mcp = await postWithoutStopping({ port: server.port, path: '/mcp', headers: { authorization: `Bearer ${clinic.keys.admin}`, 'content-type': 'application/json' }, size: 2 * MIB, framing: 'content-length' });
    expect(mcp.status).toBe(413);
    const twilio = await postWithoutStopping({ port: server.port, path: '/channels/twilio/messages', headers: { 'content-type': 'application/x-www-form-urlencoded' }, size: 200 * 1024, framing: 'chunked', filler: 'a' });
    expect(twilio.status).toBe(413);
  });

  it('applies in-process too (app.request, a body without a length)', async () => {
    const response = await clinic.request('POST', `${API}/tickets`, { body: paddedTicket(2 * MIB) });
    expect(response.status).toBe(413);
    expect((await response.json()).error.code).toBe('payload_too_large');
  });
});

describe('request bodies within the limit', () => {
  it.each(['content-length', 'chunked'] as const)('accept a valid 900 KB JSON body (%s)', async (framing) => {
    const text = paddedTicket(900 * 1024);
    const body =
      framing === 'chunked'
        ? new ReadableStream<Uint8Array>({
            start(controller) {
              const bytes = new TextEncoder().encode(text);
              for (let offset = 0; offset < bytes.length; offset += 64 * 1024) controller.enqueue(bytes.subarray(offset, offset + 64 * 1024));
              controller.close();
            },
          })
        : text;
    const response = await fetch(`${server.url}${API}/tickets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clinic.keys.admin}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ subject: 'A long letter' });
  });

  it('take a knowledge article of up to 4 MB: its text may hold 500,000 characters, escaped', async () => {
    // Over 1 MB, so only this route's own limit lets it through to the schema, which counts characters.
    const text = '\\u00e9'.repeat(600_000);
    const response = await clinic.request('POST', `${API}/vector/ingest/knowledge`, { body: `{"title":"Escaped","text":"${text}"}` });
    expect(response.status).toBe(400);
    expect((await response.json()).error.issues).toEqual([expect.objectContaining({ path: 'text' })]);
  });

  it('accept the largest message webhook Twilio sends: a 4,096-character body, percent-encoded, with 10 media', async () => {
    const media = Object.fromEntries(
      Array.from({ length: 10 }, (_, index) => [
        [`MediaUrl${index}`, `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${randomSid('MM')}/Media/${randomSid('ME')}`],
        [`MediaContentType${index}`, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      ]).flat(),
    );
    const params = {
      MessageSid: randomSid(),
      AccountSid: ACCOUNT_SID,
      From: 'whatsapp:+12125550188',
      To: `whatsapp:${clinicWhatsapp}`,
      Body: '漢'.repeat(4096),
      NumMedia: '10',
      ProfileName: 'A patient',
      ...media,
    };
    const url = `${server.url}/channels/twilio/messages`;
    const request = signedTwilioRequest({ url, authToken: AUTH_TOKEN, params });
    expect(String(request.body).length).toBeGreaterThan(36 * 1024);
    const response = await fetch(url, request);
    expect(response.status).toBe(200);
  });
});
