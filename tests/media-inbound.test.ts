import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob } from '../src/jobs/enqueue.js';
import { Media } from '../src/modules/media/entities.js';
import { FETCH_INBOUND_MEDIA_JOB } from '../src/modules/media/subscriptions.js';
import { Communication } from '../src/modules/communications/entities.js';
import { Conversation } from '../src/modules/conversations/entities.js';
import { ACCOUNT_SID, AUTH_TOKEN, openClinic, type TestPatient } from './support/clinic-fixture.js';
import { randomSid } from './support/conversation-driver.js';
import type { Harness, TestTenant } from './support/harness.js';
import { listen, type Listening } from './support/http-server.js';
import { samples, uniqueJpeg } from './support/media-files.js';
import { MEDIA, mediaHarness } from './support/media.js';
import { signedTwilioRequest, startTwilioApi } from './support/twilio-api.js';

let twilioApi: Awaited<ReturnType<typeof startTwilioApi>>;
let cdn: Listening;
const cdnRequests: { path: string; authorization: string | undefined }[] = [];
let harness: Harness & { dataDir: string };
let clinic: TestTenant;
let patient: TestPatient;
let clinicWhatsapp: string;
let service: Listening;
let phoneCounter = 700;
const nextPhone = () => `+1212555${String(phoneCounter++).padStart(4, '0')}`;

beforeAll(async () => {
  twilioApi = await startTwilioApi();
  // Where Twilio's media URLs redirect to: a storage host that must never see the account's credentials.
  cdn = await listen((request) => {
    const url = new URL(request.url);
    cdnRequests.push({ path: url.pathname, authorization: request.headers.get('authorization') ?? undefined });
    const file = twilioApi.mediaFiles.get(url.pathname.slice(1));
    return file ? new Response(file.bytes, { headers: { 'content-type': file.contentType } }) : new Response('missing', { status: 404 });
  });
  harness = await mediaHarness({ config: { TWILIO_API_BASE_URL: twilioApi.url, PRM_MEDIA_MAX_BYTES: String(64 * 1024) } });
  clinic = await harness.newTenant();
  const opened = await openClinic(harness, clinic);
  patient = opened.patient;
  clinicWhatsapp = opened.numbers.whatsapp;
  service = await listen(harness.app.fetch);
});
afterAll(async () => {
  await service?.close();
  await harness?.close();
  await cdn?.close();
  await twilioApi?.close();
});

const em = () => {
  const fork = harness.services.orm.em.fork();
  fork.setFilterParams('tenant', { tenantId: clinic.tenant.id });
  return fork;
};
const settle = () => harness.services.jobs.drain({ tenantId: clinic.tenant.id });

/** A WhatsApp message with files, posted and signed as Twilio does. */
async function sendWithMedia(from: string, files: { sid: string; url?: string; contentType: string }[], body = ''): Promise<Communication> {
  const params: Record<string, string> = { MessageSid: randomSid(), AccountSid: ACCOUNT_SID, From: `whatsapp:${from}`, To: `whatsapp:${clinicWhatsapp}`, Body: body, NumMedia: String(files.length) };
  files.forEach((file, index) => {
    params[`MediaUrl${index}`] = file.url ?? twilioApi.mediaUrl(ACCOUNT_SID, file.sid);
    params[`MediaContentType${index}`] = file.contentType;
  });
  const url = `${service.url}/channels/twilio/messages`;
  const response = await fetch(url, signedTwilioRequest({ url, authToken: AUTH_TOKEN, params }));
  expect(response.status).toBe(200);
  // Stored at once, before any file is fetched.
  return em().findOneOrFail(Communication, { channelMessageId: params.MessageSid });
}

const mediaOf = (messageId: string) => em().find(Media, { messageId }, { orderBy: { createdAt: 'asc' } });

describe('files of inbound WhatsApp and MMS messages', () => {
  it('fetches each file with the clinic’s credentials and stores it linked to the message and conversation', async () => {
    const photo = uniqueJpeg('whatsapp photo');
    twilioApi.mediaFiles.set('ME0001', { bytes: new Uint8Array(photo), contentType: 'image/jpeg' });
    twilioApi.mediaFiles.set('ME0002', { bytes: new Uint8Array(samples.pdf), contentType: 'application/pdf' });
    const message = await sendWithMedia(nextPhone(), [
      { sid: 'ME0001', contentType: 'image/jpeg' },
      { sid: 'ME0002', contentType: 'application/pdf' },
    ]);
    expect(await mediaOf(message.id)).toEqual([]);
    await settle();

    const stored = await mediaOf(message.id);
    expect(stored.map((media) => media.contentType).sort()).toEqual(['application/pdf', 'image/jpeg']);
    expect(stored.every((media) => media.conversationId === message.conversationId && media.patientId === null && media.uploadedByKind === 'system')).toBe(true);
    const basic = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
    expect(twilioApi.mediaRequests.filter((request) => ['ME0001', 'ME0002'].includes(request.mediaSid)).map((request) => request.authorization)).toEqual([basic, basic]);

    const jpeg = stored.find((media) => media.contentType === 'image/jpeg')!;
    const content = await clinic.request('GET', `${MEDIA}/${jpeg.id}/content`);
    expect(Buffer.from(await content.arrayBuffer())).toEqual(photo);
    const listed = await clinic.call<{ items: { id: string }[] }>('GET', `${MEDIA}?messageId=${message.id}`);
    expect(listed.items.length).toBe(2);
  });

  it('links the file to the patient when the conversation is verified, and follows Twilio’s redirect without the credentials', async () => {
    const first = await sendWithMedia(patient.phone, []);
    await settle();
    const conversation = await em().findOneOrFail(Conversation, { id: first.conversationId });
    conversation.patientId = patient.id;
    conversation.verifiedUntil = new Date(Date.now() + 3_600_000);
    await em().upsert(conversation);

    twilioApi.mediaFiles.set('ME0003', { bytes: new Uint8Array(uniqueJpeg('verified')), contentType: 'image/jpeg' });
    twilioApi.redirectMediaTo((sid) => `${cdn.url}/${sid}`);
    try {
      const message = await sendWithMedia(patient.phone, [{ sid: 'ME0003', contentType: 'image/jpeg' }]);
      await settle();
      const [stored] = await mediaOf(message.id);
      expect(stored).toMatchObject({ patientId: patient.id, conversationId: conversation.id });
      expect(cdnRequests).toEqual([{ path: '/ME0003', authorization: undefined }]);
    } finally {
      twilioApi.redirectMediaTo(undefined);
    }
  });

  it('skips what cannot be stored, fetches nothing but Twilio’s URLs, and stores a file once however often the job runs', async () => {
    twilioApi.mediaFiles.set('ME0004', { bytes: new Uint8Array(samples.exe), contentType: 'application/pdf' });
    twilioApi.mediaFiles.set('ME0005', { bytes: new Uint8Array(Buffer.concat([samples.pdf, Buffer.alloc(100 * 1024)])), contentType: 'application/pdf' });
    twilioApi.mediaFiles.set('ME0006', { bytes: new Uint8Array(uniqueJpeg('kept')), contentType: 'image/jpeg' });
    const before = twilioApi.mediaRequests.length;
    const message = await sendWithMedia(nextPhone(), [
      { sid: 'ME0004', contentType: 'application/pdf' },
      { sid: 'ME0005', contentType: 'application/pdf' },
      { sid: 'ME0404', contentType: 'image/jpeg' },
      { sid: 'ME0007', url: `${cdn.url}/ME0006`, contentType: 'image/jpeg' },
      { sid: 'ME0006', contentType: 'image/jpeg' },
    ]);
    await settle();
    const stored = await mediaOf(message.id);
    expect(stored.map((media) => media.sourceUrl)).toEqual([twilioApi.mediaUrl(ACCOUNT_SID, 'ME0006')]);
    expect(twilioApi.mediaRequests.slice(before).map((request) => request.mediaSid)).toEqual(['ME0004', 'ME0005', 'ME0404', 'ME0006']);

    enqueueJob(em(), { tenantId: clinic.tenant.id, kind: FETCH_INBOUND_MEDIA_JOB, payload: { entityId: message.id } });
    const again = em();
    enqueueJob(again, { tenantId: clinic.tenant.id, kind: FETCH_INBOUND_MEDIA_JOB, payload: { entityId: message.id } });
    await again.flush();
    await settle();
    expect((await mediaOf(message.id)).length).toBe(1);
  });

  it('retries a file Twilio failed to serve, and stores it once it can', async () => {
    twilioApi.mediaFiles.set('ME0008', { bytes: new Uint8Array(uniqueJpeg('later')), contentType: 'image/jpeg', status: 500 });
    const message = await sendWithMedia(nextPhone(), [{ sid: 'ME0008', contentType: 'image/jpeg' }]);
    await settle();
    expect(await mediaOf(message.id)).toEqual([]);
    twilioApi.mediaFiles.get('ME0008')!.status = undefined;
    await em().nativeUpdate('Job', { kind: FETCH_INBOUND_MEDIA_JOB, status: 'pending' }, { runAt: new Date(Date.now() - 1000) });
    await settle();
    expect((await mediaOf(message.id)).length).toBe(1);
  });
});
