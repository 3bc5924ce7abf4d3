import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import type { Harness, TestTenant } from './support/harness.js';
import { listen, type Listening } from './support/http-server.js';
import { samples } from './support/media-files.js';
import { BOUNDARY, incomingFiles, MEDIA, mediaHarness, multipartBody, multipartHeaders } from './support/media.js';
import { postWithoutStopping } from './support/raw-http.js';

const KIB = 1024;
const MAX_FILE = 256 * KIB;
const logLines: string[] = [];
let harness: Harness & { dataDir: string };
let clinic: TestTenant;
let server: Listening;

beforeAll(async () => {
  const memory = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  harness = await mediaHarness({ config: { PRM_MEDIA_MAX_BYTES: String(MAX_FILE) }, log: createLogger({ level: 'info', destination: memory }) });
  clinic = await harness.newTenant();
  server = await listen(harness.app.fetch);
});
afterAll(async () => {
  await server.close();
  await harness.close();
});

const filePart = (body: Buffer) => ({ headers: 'Content-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf', body });
const pdfOf = (size: number) => Buffer.concat([samples.pdf, Buffer.alloc(size - samples.pdf.length, 0x41)]);
const unhandled = () => logLines.filter((line) => line.includes('"unhandled error"') || line.includes('"tool run failed"'));

/** Sends `head` and then `body` over a raw socket, half-closes it, and returns everything the server answered. */
function rawExchange(head: string, body: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (data) => (received += data.toString()));
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
    socket.write(head);
    socket.end(body);
    setTimeout(() => socket.destroy(), 5000);
  });
}

const requestHead = (length: number) =>
  `POST ${MEDIA} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${clinic.keys.admin}\r\ncontent-type: multipart/form-data; boundary=${BOUNDARY}\r\ncontent-length: ${length}\r\n\r\n`;

describe('upload size limits', () => {
  it('refuses a 2 GB upload from its Content-Length, before reading it or looking at the key', async () => {
    const before = server.bytesRead();
    const answer = await postWithoutStopping({
      port: server.port,
      path: MEDIA,
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      size: 2 * 1024 * 1024 * 1024,
      framing: 'content-length',
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe('payload_too_large');
    expect(answer.ms).toBeLessThan(2000);
    expect(server.bytesRead() - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses a file over PRM_MEDIA_MAX_BYTES while streaming it, when the body declares a length that passes', async () => {
    const body = multipartBody([filePart(pdfOf(MAX_FILE + 10 * KIB))]);
    const response = await harness.app.request(MEDIA, { method: 'POST', body, headers: multipartHeaders(clinic.keys.admin) });
    expect(response.status).toBe(413);
    expect((await response.json()).error).toMatchObject({ code: 'payload_too_large', details: { limitBytes: MAX_FILE } });
    expect(await incomingFiles(harness.dataDir)).toEqual([]);
  });

  it('stops reading a chunked upload (no length) as soon as it is over the limit', async () => {
    const before = server.bytesRead();
    const answer = await postWithoutStopping({
      port: server.port,
      path: MEDIA,
      headers: { authorization: `Bearer ${clinic.keys.admin}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      size: 64 * 1024 * 1024,
      framing: 'chunked',
      filler: 'a',
    });
    expect(answer.status).toBe(413);
    expect(server.bytesRead() - before).toBeLessThan(8 * 1024 * 1024);
    expect(await incomingFiles(harness.dataDir)).toEqual([]);
  });

  it('takes a file of exactly the limit', async () => {
    const body = multipartBody([filePart(pdfOf(MAX_FILE))]);
    const response = await harness.app.request(MEDIA, { method: 'POST', body, headers: multipartHeaders(clinic.keys.admin) });
    expect(response.status).toBe(201);
    expect((await response.json()).sizeBytes).toBe(MAX_FILE);
  });
});

describe('broken upload bodies', () => {
  it('answers 400 to a multipart body cut off before its end, and keeps no temporary file', async () => {
    const body = multipartBody([filePart(pdfOf(8 * KIB))], { end: false });
    const response = await harness.app.request(MEDIA, { method: 'POST', body: body.subarray(0, body.length - 3000), headers: multipartHeaders(clinic.keys.admin) });
    expect(response.status).toBe(400);
    expect((await response.json()).error.issues).toEqual([{ path: '(body)', message: 'malformed or incomplete multipart/form-data' }]);
    expect(await incomingFiles(harness.dataDir)).toEqual([]);
  });

  it('answers 400 to a multipart header without a boundary', async () => {
    const response = await harness.app.request(MEDIA, { method: 'POST', body: 'x', headers: { authorization: `Bearer ${clinic.keys.admin}`, 'content-type': 'multipart/form-data; charset=utf-8' } });
    expect(response.status).toBe(400);
  });

  it('answers 400 when the Content-Length is shorter than the body (the rest is never read as the file)', async () => {
    const body = multipartBody([filePart(pdfOf(8 * KIB))]);
    // The cut-off upload is refused; what follows it is no HTTP request, which Node refuses too (also 400).
    const answer = await rawExchange(requestHead(body.length - 4000), body);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).not.toMatch(/HTTP\/1\.1 (201|5\d\d) /);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await incomingFiles(harness.dataDir)).toEqual([]);
    expect(unhandled()).toEqual([]);
  });

  it('survives a Content-Length longer than the body: the upload is dropped, nothing kept, nothing logged as a failure', async () => {
    const body = multipartBody([filePart(pdfOf(8 * KIB))]);
    await rawExchange(requestHead(body.length + 50_000), body);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await incomingFiles(harness.dataDir)).toEqual([]);
    expect(unhandled()).toEqual([]);
    // The service still answers.
    const after = await harness.app.request(MEDIA, { method: 'POST', body: multipartBody([filePart(pdfOf(4 * KIB))]), headers: multipartHeaders(clinic.keys.admin) });
    expect(after.status).toBe(201);
  });

  it('answers 400 to a second file, an unknown part and an over-long field', async () => {
    const cases = [
      multipartBody([filePart(pdfOf(4 * KIB)), filePart(pdfOf(4 * KIB))]),
      multipartBody([{ headers: 'Content-Disposition: form-data; name="attachment"; filename="a.pdf"', body: pdfOf(4 * KIB) }]),
      multipartBody([{ headers: 'Content-Disposition: form-data; name="patientId"', body: 'x'.repeat(500) }, filePart(pdfOf(4 * KIB))]),
    ];
    for (const body of cases) {
      const response = await harness.app.request(MEDIA, { method: 'POST', body, headers: multipartHeaders(clinic.keys.admin) });
      expect(response.status).toBe(400);
      expect((await response.json()).error.issues.length).toBeGreaterThan(0);
    }
    expect(await incomingFiles(harness.dataDir)).toEqual([]);
    expect(unhandled()).toEqual([]);
  });
});
