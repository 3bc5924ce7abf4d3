import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainEvent } from '../src/events.js';
import { makeReceipt } from '../src/modules/media/receipts.js';
import { runOperation } from '../src/tools/runner.js';
import { ToolRun } from '../src/tools/tool-run.js';
import { addPatient, openConversation } from './support/clinic-fixture.js';
import type { Harness, TestTenant } from './support/harness.js';
import { samples, uniqueJpeg } from './support/media-files.js';
import { incomingFiles, MEDIA, mediaHarness, multipartBody, multipartHeaders, storedFiles, upload, uploaded } from './support/media.js';

let harness: Harness & { dataDir: string };
let clinic: TestTenant;
let patientId: string;

beforeAll(async () => {
  harness = await mediaHarness();
  clinic = await harness.newTenant();
  patientId = (await addPatient(clinic, { givenName: 'Ines', familyName: 'Okafor', dateOfBirth: '1981-04-02', phone: '+12125550111' })).id;
});
afterAll(() => harness.close());

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('uploading media', () => {
  it('streams a photo to storage, records it through the runner and announces it with ids only', async () => {
    const photo = uniqueJpeg('first');
    const response = await upload(harness, clinic, { file: photo, name: 'rash.jpg', type: 'image/jpeg', fields: { patientId } });
    expect(response.status).toBe(201);
    const runId = response.headers.get('x-tool-run-id');
    const media = await response.json();
    expect(media).toMatchObject({ contentType: 'image/jpeg', sizeBytes: photo.length, sha256: sha256(photo), originalName: 'rash.jpg', patientId, ticketId: null, uploadedBy: { kind: 'staff' } });

    const stored = join(harness.dataDir, 'media', clinic.tenant.id, media.sha256.slice(0, 2), media.sha256);
    expect(await readFile(stored)).toEqual(photo);
    expect(await incomingFiles(harness.dataDir)).toEqual([]);

    const em = harness.services.orm.em.fork();
    const run = await em.findOne(ToolRun, { id: runId! }, { filters: false });
    expect(run).toMatchObject({ tool: 'record_media_upload', status: 'succeeded', channel: 'rest' });
    const [event] = await em.find(DomainEvent, { tenantId: clinic.tenant.id, entityId: media.id }, { filters: false });
    expect(event).toMatchObject({ type: 'media.uploaded', entityType: 'media' });
    expect(event.payload).toEqual({ patientId, conversationId: null, messageId: null, ticketId: null });
  });

  it.each([
    ['jpeg', 'image/jpeg'],
    ['png', 'image/png'],
    ['heic', 'image/heic'],
    ['webp', 'image/webp'],
    ['pdf', 'application/pdf'],
    ['mp3', 'audio/mpeg'],
    ['m4a', 'audio/mp4'],
    ['opus', 'audio/ogg'],
    ['wav', 'audio/wav'],
    ['amr', 'audio/amr'],
  ] as const)('takes %s, typed from its bytes whatever its name and declared type say', async (kind, contentType) => {
    const media = await uploaded(harness, clinic, { file: samples[kind], name: 'whatever.txt', type: 'text/plain' });
    expect(media.contentType).toBe(contentType);
  });

  it('stores a file sent twice once, as two records', async () => {
    const scan = Buffer.concat([samples.pdf, Buffer.from('twice')]);
    const before = await storedFiles(harness.dataDir, clinic.tenant.id);
    const first = await uploaded(harness, clinic, { file: scan, name: 'referral.pdf' });
    const second = await uploaded(harness, clinic, { file: scan, name: 'referral (1).pdf', fields: { patientId } });
    expect(second.id).not.toBe(first.id);
    expect(second.sha256).toBe(first.sha256);
    const after = await storedFiles(harness.dataDir, clinic.tenant.id);
    expect(after.filter((name) => !before.includes(name))).toEqual([first.sha256]);
  });

  it('stores another clinic’s copy of the same file under its own key', async () => {
    const other = await harness.newTenant();
    const scan = Buffer.concat([samples.pdf, Buffer.from('two clinics')]);
    const mine = await uploaded(harness, clinic, { file: scan });
    const theirs = await uploaded(harness, other, { file: scan });
    expect(theirs.sha256).toBe(mine.sha256);
    expect(await storedFiles(harness.dataDir, other.tenant.id)).toEqual([mine.sha256]);
  });

  it('links to a conversation and a ticket of the clinic', async () => {
    const conversationId = await openConversation(harness, clinic, 'whatsapp:+12125550112');
    const ticket = await clinic.call<{ id: string }>('POST', '/api/v1/prm/tickets', { subject: 'Photo of the rash' });
    const media = await uploaded(harness, clinic, { file: uniqueJpeg('links'), fields: { conversationId, ticketId: ticket.id } });
    expect(media).toMatchObject({ conversationId, ticketId: ticket.id, patientId: null });
  });
});

describe('refused uploads', () => {
  const refusal = async (response: Response) => ({ status: response.status, body: await response.json() });
  const paths = (body: { error: { issues?: { path: string }[] } }) => body.error.issues?.map((issue) => issue.path);

  it('refuses an executable renamed .pdf, and a script, with 415 read from the bytes', async () => {
    for (const file of [samples.exe, samples.script]) {
      const { status, body } = await refusal(await upload(harness, clinic, { file, name: 'invoice.pdf', type: 'application/pdf' }));
      expect(status).toBe(415);
      expect(body.error.code).toBe('unsupported_media_type');
      expect(paths(body)).toEqual(['file']);
    }
  });

  it('refuses a zero-byte file with 422', async () => {
    const { status, body } = await refusal(await upload(harness, clinic, { file: Buffer.alloc(0), name: 'empty.jpg' }));
    expect(status).toBe(422);
    expect(paths(body)).toEqual(['file']);
  });

  it('refuses a body that is not multipart with 415, and a form without a file with 400', async () => {
    const json = await clinic.request('POST', MEDIA, { body: { file: 'aGVsbG8=' } });
    expect(json.status).toBe(415);
    const { status, body } = await refusal(await upload(harness, clinic, { fields: { patientId } }));
    expect(status).toBe(400);
    expect(paths(body)).toEqual(['file']);
  });

  it('names the field of a bad link, and keeps nothing of the file', async () => {
    const other = await harness.newTenant();
    const theirPatient = await addPatient(other, { givenName: 'Noor', familyName: 'Vale', dateOfBirth: '1990-01-01', phone: '+12125550113' });
    const cases: [Record<string, string>, number, string][] = [
      [{ patientId: theirPatient.id }, 404, 'patientId'],
      [{ ticketId: '0190d6f1-8e4b-7c3a-9f00-000000000001' }, 404, 'ticketId'],
      [{ conversationId: '0190d6f1-8e4b-7c3a-9f00-000000000002' }, 404, 'conversationId'],
      [{ patientId: 'not-an-id' }, 400, 'patientId'],
      [{ patientId: `${patientId}\u0000` }, 400, 'patientId'],
      [{ doctor: 'House' }, 400, 'doctor'],
    ];
    for (const [fields, expected, field] of cases) {
      const photo = uniqueJpeg(JSON.stringify(fields));
      const { status, body } = await refusal(await upload(harness, clinic, { file: photo, fields }));
      expect({ fields, status, paths: paths(body) }).toEqual({ fields, status: expected, paths: [field] });
      expect(await storedFiles(harness.dataDir, clinic.tenant.id)).not.toContain(sha256(photo));
    }
    expect(await incomingFiles(harness.dataDir)).toEqual([]);
  });

  it('keeps a hostile file name as display text only, and never as a path', async () => {
    for (const name of ['../../etc/passwd', '..\\..\\boot.ini', '/', '\r\nX-Evil: 1', 'a'.repeat(400)]) {
      const media = await uploaded(harness, clinic, { file: Buffer.concat([samples.pdf, Buffer.from(name)]), name });
      expect(media.originalName === null || !/[\u0000-\u001f/\\]/.test(media.originalName)).toBe(true);
      const content = await clinic.request('GET', `${MEDIA}/${media.id}/content`);
      expect(content.status).toBe(200);
      expect(content.headers.get('content-disposition')).toMatch(/^attachment; filename="[A-Za-z0-9._ -]+\.pdf"; filename\*=UTF-8''[^\s"]+$/);
    }
    expect((await uploaded(harness, clinic, { file: uniqueJpeg('passwd'), name: '../../etc/passwd' })).originalName).toBe('passwd');
    await expect(access(join(harness.dataDir, 'etc', 'passwd'))).rejects.toThrow();
  });

  it('drops a NUL from an encoded file name, and refuses a raw NUL in a part header as malformed', async () => {
    const file = Buffer.concat([samples.pdf, Buffer.from('nul name')]);
    const encoded = multipartBody([{ headers: `Content-Disposition: form-data; name="file"; filename*=UTF-8''scan%00.exe%00.pdf`, body: file }]);
    const taken = await harness.app.request(MEDIA, { method: 'POST', body: encoded, headers: multipartHeaders(clinic.keys.admin) });
    expect(taken.status).toBe(201);
    expect((await taken.json()).originalName).toBe('scan.exe.pdf');
    const raw = multipartBody([{ headers: 'Content-Disposition: form-data; name="file"; filename="scan\u0000.pdf"', body: file }]);
    const refused = await harness.app.request(MEDIA, { method: 'POST', body: raw, headers: multipartHeaders(clinic.keys.admin) });
    expect(refused.status).toBe(400);
    expect(await incomingFiles(harness.dataDir)).toEqual([]);
  });

  it('records an agent key’s upload as the agent’s', async () => {
    const media = await uploaded(harness, clinic, { file: uniqueJpeg('agent'), key: clinic.keys.agent });
    expect(media.uploadedBy.kind).toBe('agent');
  });

  it('refuses to record an object that is not stored (purged meanwhile) with 409, which the route answers by storing it again', async () => {
    const photo = uniqueJpeg('vanished');
    const receipt = await makeReceipt(harness.services.media.signingKey, clinic.tenant.id, { sha256: sha256(photo), sizeBytes: photo.length, contentType: 'image/jpeg' });
    const outcome = await runOperation(harness.services, { tenant: clinic.tenant, actor: { kind: 'staff', id: 'test', role: 'staff' }, channel: 'rest' }, {
      tool: 'record_media_upload',
      input: { receipt, originalName: null },
    });
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({ code: 'conflict', details: { reason: 'object_missing' } });
  });

  it('replays an upload repeated with its Idempotency-Key, and refuses the key with another file', async () => {
    const photo = uniqueJpeg('idempotent');
    const headers = { 'idempotency-key': `upload-${Math.random()}` };
    const first = await upload(harness, clinic, { file: photo, name: 'a.jpg', headers });
    const second = await upload(harness, clinic, { file: photo, name: 'a.jpg', headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await second.json()).id).toBe((await first.json()).id);
    const other = await upload(harness, clinic, { file: uniqueJpeg('other file'), name: 'a.jpg', headers });
    expect(other.status).toBe(409);
  });

  it('takes no receipt it did not make: record_media_upload called directly is 400 naming the receipt', async () => {
    const photo = uniqueJpeg('forged');
    const forged = { receipt: { sha256: sha256(photo), sizeBytes: photo.length, contentType: 'image/jpeg', signature: 'x'.repeat(43) }, originalName: null };
    const response = await clinic.request('POST', `${MEDIA}/uploads`, { body: forged });
    expect(response.status).toBe(400);
    expect(paths(await response.json())).toEqual(['receipt']);
  });
});
