import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainEvent } from '../src/events.js';
import { Job } from '../src/jobs/job.js';
import type { MediaView } from '../src/modules/media/schema.js';
import { addPatient } from './support/clinic-fixture.js';
import type { Harness, TestTenant } from './support/harness.js';
import { listen } from './support/http-server.js';
import { samples, uniqueJpeg } from './support/media-files.js';
import { MEDIA, mediaHarness, storedFiles, upload, uploaded } from './support/media.js';

type WithLink = MediaView & { download: { url: string; expiresAt: string } };

/** The service's clock, moved forward by tests that need links to expire. */
let offsetMs = 0;
let harness: Harness & { dataDir: string };
let clinic: TestTenant;
let patientId: string;

beforeAll(async () => {
  harness = await mediaHarness({ clock: { now: () => new Date(Date.now() + offsetMs) }, config: { PUBLIC_BASE_URL: 'https://prm.clinic.example' } });
  clinic = await harness.newTenant();
  patientId = (await addPatient(clinic, { givenName: 'Tomas', familyName: 'Reyes', dateOfBirth: '1975-06-30', phone: '+12125550121' })).id;
});
afterAll(() => harness.close());

/** The path and query of a signed link, to call the app in-process. */
const local = (url: string) => url.replace('https://prm.clinic.example', '');

describe('downloading media', () => {
  it('gives a signed link under PUBLIC_BASE_URL that serves the bytes without a key, for 15 minutes', async () => {
    const photo = uniqueJpeg('link');
    const media = await uploaded(harness, clinic, { file: photo, name: 'wound photo.jpg', fields: { patientId } });
    const got = await clinic.call<WithLink>('GET', `${MEDIA}/${media.id}`);
    expect(got.download.url).toMatch(new RegExp(`^https://prm\\.clinic\\.example/media/files/${media.id}\\?expires=\\d+&signature=[\\w-]+$`));
    expect(Date.parse(got.download.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(Date.parse(got.download.expiresAt) - Date.now()).toBeLessThanOrEqual(15 * 60_000);

    const response = await harness.app.request(local(got.download.url));
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(photo);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="wound photo.jpg"; filename*=UTF-8''wound%20photo.jpg`);
  });

  it('refuses an expired, altered or unsigned link with 403', async () => {
    const media = await uploaded(harness, clinic, { file: uniqueJpeg('expiry') });
    const { download } = await clinic.call<WithLink>('GET', `${MEDIA}/${media.id}`);
    const url = new URL(download.url);
    const other = await uploaded(harness, clinic, { file: uniqueJpeg('other') });
    const signature = url.searchParams.get('signature')!;
    const altered = [
      `/media/files/${media.id}?expires=${Number(url.searchParams.get('expires')) + 3600}&signature=${signature}`,
      `/media/files/${media.id}?expires=${url.searchParams.get('expires')}&signature=${signature.slice(0, -2)}AA`,
      `/media/files/${other.id}${url.search}`,
      `/media/files/${media.id}?expires=${url.searchParams.get('expires')}`,
      `/media/files/${media.id}`,
      `/media/files/not-an-id${url.search}`,
      `/media/files/${media.id}?expires=1e99&signature=${signature}`,
    ];
    for (const path of altered) {
      const response = await harness.app.request(path);
      expect({ path, status: response.status }).toEqual({ path, status: 403 });
      expect((await response.json()).error.issues[0].path).toMatch(/^(signature|expires)$/);
    }
    offsetMs = 16 * 60_000;
    try {
      const expired = await harness.app.request(local(download.url));
      expect(expired.status).toBe(403);
      expect((await expired.json()).error.message).toContain('expired');
    } finally {
      offsetMs = 0;
    }
    expect((await harness.app.request(local(download.url))).status).toBe(200);
  });

  it('streams the file to a keyed caller, through get_media (logged)', async () => {
    const scan = Buffer.concat([samples.pdf, Buffer.from('keyed')]);
    const media = await uploaded(harness, clinic, { file: scan, name: 'lab results.PDF' });
    const response = await clinic.request('GET', `${MEDIA}/${media.id}/content`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-tool-run-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-length')).toBe(String(scan.length));
    expect(response.headers.get('content-disposition')).toContain('filename="lab results.pdf"');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(scan);
    expect((await clinic.request('GET', `${MEDIA}/${media.id}/content`, { key: null })).status).toBe(401);
  });

  it('gives an MCP client the file’s details and a link through get_media', async () => {
    const photo = uniqueJpeg('mcp');
    const media = await uploaded(harness, clinic, { file: photo });
    const server = await listen(harness.app.fetch);
    const client = new Client({ name: 'test', version: '1.0.0' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${clinic.keys.staff}` } } }));
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      expect(tools).toEqual(expect.arrayContaining(['get_media', 'list_media', 'link_media', 'delete_media']));
      const result = await client.callTool({ name: 'get_media', arguments: { id: media.id } });
      const got = result.structuredContent as WithLink;
      expect(got).toMatchObject({ id: media.id, contentType: 'image/jpeg' });
      const fetched = await harness.app.request(local(got.download.url));
      expect(Buffer.from(await fetched.arrayBuffer())).toEqual(photo);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('answers 404 for another clinic’s media on every route', async () => {
    const media = await uploaded(harness, clinic, { file: uniqueJpeg('mine') });
    const other = await harness.newTenant();
    expect((await other.request('GET', `${MEDIA}/${media.id}`)).status).toBe(404);
    expect((await other.request('GET', `${MEDIA}/${media.id}/content`)).status).toBe(404);
    expect((await other.request('PATCH', `${MEDIA}/${media.id}`, { body: { ticketId: null } })).status).toBe(404);
    expect((await other.request('DELETE', `${MEDIA}/${media.id}`)).status).toBe(404);
    expect((await other.call<{ items: unknown[] }>('GET', MEDIA)).items).toEqual([]);
    expect((await clinic.request('GET', `${MEDIA}/${media.id}`)).status).toBe(200);
  });
});

describe('listing, linking and deleting media', () => {
  it('lists by patient, conversation and ticket, newest first, a page at a time', async () => {
    const patient = await addPatient(clinic, { givenName: 'Ada', familyName: 'Lind', dateOfBirth: '1960-02-02', phone: '+12125550122' });
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) ids.push((await uploaded(harness, clinic, { file: uniqueJpeg(`list ${index}`), fields: { patientId: patient.id } })).id);
    const first = await clinic.call<{ items: MediaView[]; nextCursor: string }>('GET', `${MEDIA}?patientId=${patient.id}&limit=2`);
    expect(first.items.map((item) => item.id)).toEqual([ids[2], ids[1]]);
    const second = await clinic.call<{ items: MediaView[]; nextCursor: string | null }>('GET', `${MEDIA}?patientId=${patient.id}&limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((item) => item.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();
    expect((await clinic.request('GET', `${MEDIA}?cursor=garbage`)).status).toBe(400);
  });

  it('moves a merged patient’s media to the patient kept', async () => {
    const keep = await addPatient(clinic, { givenName: 'Rosa', familyName: 'Marin', dateOfBirth: '1970-07-07', phone: '+12125550123' });
    const duplicate = await addPatient(clinic, { givenName: 'Rosa', familyName: 'Marin', dateOfBirth: '1970-07-07', phone: '+12125550124' });
    const media = await uploaded(harness, clinic, { file: uniqueJpeg('merge'), fields: { patientId: duplicate.id } });
    const merged = await clinic.call<{ moved: { media: number } }>('POST', `/api/v1/prm/patients/${keep.id}/merge`, { sourcePatientId: duplicate.id });
    expect(merged.moved.media).toBe(1);
    expect((await clinic.call<MediaView>('GET', `${MEDIA}/${media.id}`)).patientId).toBe(keep.id);
    const refused = await upload(harness, clinic, { file: uniqueJpeg('merged'), fields: { patientId: duplicate.id } });
    expect(refused.status).toBe(422);
    expect((await refused.json()).error.issues[0].path).toBe('patientId');
  });

  it('links and unlinks, checking each record is the clinic’s', async () => {
    const media = await uploaded(harness, clinic, { file: uniqueJpeg('relink') });
    const ticket = await clinic.call<{ id: string }>('POST', '/api/v1/prm/tickets', { subject: 'Look at this' });
    const linked = await clinic.call<MediaView>('PATCH', `${MEDIA}/${media.id}`, { ticketId: ticket.id, patientId });
    expect(linked).toMatchObject({ ticketId: ticket.id, patientId });
    const unlinked = await clinic.call<MediaView>('PATCH', `${MEDIA}/${media.id}`, { patientId: null });
    expect(unlinked).toMatchObject({ ticketId: ticket.id, patientId: null });
    const missing = await clinic.request('PATCH', `${MEDIA}/${media.id}`, { body: { ticketId: '0190d6f1-8e4b-7c3a-9f00-0000000000aa' } });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.issues[0].path).toBe('ticketId');
    expect((await clinic.request('PATCH', `${MEDIA}/${media.id}`, { body: {} })).status).toBe(400);
  });

  it('soft-deletes: gone from every route, announced, and its bytes purged unless another record uses them', async () => {
    const shared = Buffer.concat([samples.pdf, Buffer.from('shared')]);
    const first = await uploaded(harness, clinic, { file: shared });
    const second = await uploaded(harness, clinic, { file: shared });
    const { download } = await clinic.call<WithLink>('GET', `${MEDIA}/${first.id}`);

    expect((await clinic.call<MediaView>('DELETE', `${MEDIA}/${first.id}`)).id).toBe(first.id);
    expect((await clinic.request('GET', `${MEDIA}/${first.id}`)).status).toBe(404);
    expect((await clinic.request('DELETE', `${MEDIA}/${first.id}`)).status).toBe(404);
    expect((await harness.app.request(local(download.url))).status).toBe(404);
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    expect(await storedFiles(harness.dataDir, clinic.tenant.id)).toContain(first.sha256);
    expect((await clinic.request('GET', `${MEDIA}/${second.id}/content`)).status).toBe(200);

    await clinic.call('DELETE', `${MEDIA}/${second.id}`);
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    expect(await storedFiles(harness.dataDir, clinic.tenant.id)).not.toContain(first.sha256);

    const em = harness.services.orm.em.fork();
    const events = await em.find(DomainEvent, { tenantId: clinic.tenant.id, entityId: second.id }, { filters: false, orderBy: { occurredAt: 'asc' } });
    expect(events.map((event) => event.type)).toEqual(['media.uploaded', 'media.deleted']);
    const jobs = await em.find(Job, { tenantId: clinic.tenant.id, kind: 'media.purge' }, { filters: false });
    expect(jobs.map((job) => job.status)).toEqual(['succeeded', 'succeeded']);

    // Uploaded again before its purge ran: the purge finds a live record and keeps the object.
    const third = await uploaded(harness, clinic, { file: shared });
    await clinic.call('DELETE', `${MEDIA}/${third.id}`);
    const fourth = await uploaded(harness, clinic, { file: shared });
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    expect((await clinic.request('GET', `${MEDIA}/${fourth.id}/content`)).status).toBe(200);
    await clinic.call('DELETE', `${MEDIA}/${fourth.id}`);
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });

    // The same file uploaded again is stored again.
    const again = await uploaded(harness, clinic, { file: shared });
    expect((await clinic.request('GET', `${MEDIA}/${again.id}/content`)).status).toBe(200);
  });
});
