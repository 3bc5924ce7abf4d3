import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Communication } from '../src/modules/communications/entities.js';
import { API, openClinic, openConversation } from './support/clinic-fixture.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { uniqueJpeg } from './support/media-files.js';
import { MEDIA, mediaHarness, uploaded } from './support/media.js';
import { startTwilioApi } from './support/twilio-api.js';

const PUBLIC = 'https://prm.clinic.example';
let twilioApi: Awaited<ReturnType<typeof startTwilioApi>>;
let harness: Harness & { dataDir: string };
let clinic: TestTenant;
let contactCounter = 800;
const nextContact = () => `+1212555${String(contactCounter++).padStart(4, '0')}`;

beforeAll(async () => {
  twilioApi = await startTwilioApi();
  harness = await mediaHarness({ config: { TWILIO_API_BASE_URL: twilioApi.url, PUBLIC_BASE_URL: PUBLIC } });
  clinic = await harness.newTenant();
  await openClinic(harness, clinic);
});
afterAll(async () => {
  await harness?.close();
  await twilioApi?.close();
});

const settle = () => harness.services.jobs.drain({ tenantId: clinic.tenant.id });
const communication = (id: string) => {
  const em = harness.services.orm.em.fork();
  em.setFilterParams('tenant', { tenantId: clinic.tenant.id });
  return em.findOneOrFail(Communication, { id });
};

describe('staff messages with files', () => {
  it('sends the files to Twilio as fresh signed links under PUBLIC_BASE_URL, which serve the bytes', async () => {
    const conversationId = await openConversation(harness, clinic, nextContact());
    const photo = uniqueJpeg('aftercare');
    const media = await uploaded(harness, clinic, { file: photo, name: 'aftercare.jpg' });
    const message = await clinic.call<{ id: string; media: unknown[] }>('POST', `${API}/conversations/${conversationId}/messages`, { body: 'Your aftercare sheet.', mediaIds: [media.id] });
    expect(message.media).toEqual([{ url: `${MEDIA}/${media.id}/content`, contentType: 'image/jpeg', mediaId: media.id }]);

    const before = twilioApi.sent.length;
    await settle();
    const [sent] = twilioApi.sent.slice(before);
    expect(sent.body).toBe('Your aftercare sheet.');
    expect(sent.mediaUrls).toHaveLength(1);
    expect(sent.mediaUrls[0]).toMatch(new RegExp(`^${PUBLIC.replaceAll('.', '\\.')}/media/files/${media.id}\\?expires=\\d+&signature=`));
    const fetched = await harness.app.request(sent.mediaUrls[0].slice(PUBLIC.length));
    expect(Buffer.from(await fetched.arrayBuffer())).toEqual(photo);
    expect((await communication(message.id)).status).toBe('sent');
  });

  it('refuses files that are not the clinic’s, and files on a channel that cannot carry them, naming mediaIds', async () => {
    const conversationId = await openConversation(harness, clinic, nextContact());
    const other = await harness.newTenant();
    const theirs = await uploaded(harness, other, { file: uniqueJpeg('theirs') });
    const refused = await clinic.request('POST', `${API}/conversations/${conversationId}/messages`, { body: { body: 'x', mediaIds: [theirs.id] } });
    expect(refused.status).toBe(404);
    expect((await refused.json()).error.issues[0].path).toBe('mediaIds');

    const chatId = await openConversation(harness, clinic, 'terminal-user', 'chat');
    const mine = await uploaded(harness, clinic, { file: uniqueJpeg('chat') });
    const onChat = await clinic.request('POST', `${API}/conversations/${chatId}/messages`, { body: { body: 'x', mediaIds: [mine.id] } });
    expect(onChat.status).toBe(422);
    expect((await onChat.json()).error.issues[0].path).toBe('mediaIds');
  });

  it('fails the message, sending nothing, when an attached file was deleted before delivery', async () => {
    const conversationId = await openConversation(harness, clinic, nextContact());
    const media = await uploaded(harness, clinic, { file: uniqueJpeg('deleted') });
    const message = await clinic.call<{ id: string }>('POST', `${API}/conversations/${conversationId}/messages`, { body: 'See attached.', mediaIds: [media.id] });
    await clinic.call('DELETE', `${MEDIA}/${media.id}`);
    const before = twilioApi.sent.length;
    await settle();
    expect(twilioApi.sent.length).toBe(before);
    expect(await communication(message.id)).toMatchObject({ status: 'failed', error: 'A file attached to the message was deleted before it was sent.' });
  });

  it('needs PUBLIC_BASE_URL when media are on the local disk: Twilio could not fetch a link otherwise', async () => {
    const bare: Harness = await createHarness({ config: { TWILIO_API_BASE_URL: twilioApi.url, PRM_DATA_DIR: harness.dataDir } });
    try {
      const someone = await bare.newTenant();
      await openClinic(bare, someone);
      const conversationId = await openConversation(bare, someone, nextContact());
      const media = await uploaded(bare, someone, { file: uniqueJpeg('no base') });
      const refused = await someone.request('POST', `${API}/conversations/${conversationId}/messages`, { body: { body: 'x', mediaIds: [media.id] } });
      expect(refused.status).toBe(422);
      expect((await refused.json()).error.message).toContain('PUBLIC_BASE_URL');
    } finally {
      await bare.close();
    }
  });
});
