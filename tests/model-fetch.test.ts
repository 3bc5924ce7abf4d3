import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFetch } from '../src/agent/model-fetch.js';

type Seen = { method: string; url: string; headers: IncomingMessage['headers']; body: string };

/** A loopback server whose answer each test sets; it records what reached it. */
let server: Server;
let baseUrl: string;
let seen: Seen[] = [];
let handle: (request: IncomingMessage, response: ServerResponse) => void = () => {};

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() });
      handle(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('modelFetch: the model provider’s fetch over node:http', () => {
  it('sends the method, headers and body, and answers with status, headers and body', async () => {
    seen = [];
    handle = (_, response) => response.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'req_1' }).end('{"ok":true}');
    const response = await modelFetch(`${baseUrl}/v1/chat/completions?x=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer key' },
      body: JSON.stringify({ model: 'm', note: 'héllo' }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-request-id')).toBe('req_1');
    expect(await response.json()).toEqual({ ok: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/chat/completions?x=1', body: '{"model":"m","note":"héllo"}' });
    expect(seen[0]!.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer key', 'content-length': String(Buffer.byteLength('{"model":"m","note":"héllo"}')) });
  });

  it('keeps an error status and its body', async () => {
    handle = (_, response) => response.writeHead(429, 'Too Many Requests', { 'content-type': 'application/json' }).end('{"error":{"message":"slow down"}}');
    const response = await modelFetch(`${baseUrl}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(response.ok).toBe(false);
    expect(response.status).toBe(429);
    expect(response.statusText).toBe('Too Many Requests');
    expect(await response.json()).toEqual({ error: { message: 'slow down' } });
  });

  it('decodes a compressed answer it did not ask for', async () => {
    handle = (_, response) => response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync('{"compressed":true}'));
    const response = await modelFetch(`${baseUrl}/x`, { method: 'POST', body: '{}' });
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(await response.json()).toEqual({ compressed: true });
  });

  it('passes a server-sent event stream on as it arrives', async () => {
    let finish = () => {};
    handle = (_, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: first\n\n');
      finish = () => response.end('data: second\n\n');
    };
    const response = await modelFetch(`${baseUrl}/stream`, { method: 'POST', body: '{}' });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('data: first\n\n'); // read before the server wrote the rest
    finish();
    const rest: string[] = [];
    for (let next = await reader.read(); !next.done; next = await reader.read()) rest.push(Buffer.from(next.value).toString());
    expect(rest.join('')).toBe('data: second\n\n');
  });

  it('rejects with the signal’s reason when aborted, and drops the request', async () => {
    let closed = false;
    handle = (_, response) => response.on('close', () => (closed = true)); // never answers
    const controller = new AbortController();
    const pending = modelFetch(`${baseUrl}/slow`, { method: 'POST', body: '{}', signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reason = new Error('the model did not answer within 50 ms');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await expect.poll(() => closed).toBe(true);
  });

  it('ends a stream with the signal’s reason when aborted while it is being read', async () => {
    handle = (_, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: first\n\n'); // and nothing more
    };
    const controller = new AbortController();
    const response = await modelFetch(`${baseUrl}/stream`, { method: 'POST', body: '{}', signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    const reason = new Error('the model did not answer within 50 ms');
    controller.abort(reason);
    await expect(reader.read()).rejects.toBe(reason);
  });

  it('does not send when the signal was already aborted', async () => {
    seen = [];
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(modelFetch(`${baseUrl}/x`, { method: 'POST', body: '{}', signal: controller.signal })).rejects.toThrow('too late');
    expect(seen).toHaveLength(0);
  });

  it('fails like fetch on a network error (the AI SDK retries “fetch failed”)', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await modelFetch(`http://127.0.0.1:${port}/x`, { method: 'POST', body: '{}' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe('fetch failed');
    expect(((error as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});
