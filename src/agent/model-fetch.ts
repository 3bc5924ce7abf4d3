import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };

/**
 * The `fetch` the model provider calls with: `node:http(s)` on keep-alive sockets. Node's global fetch
 * (undici) spends about 0.7 ms more CPU per model call on its Request, Response and web-stream
 * machinery (measured on this path), and every model turn makes at least one call.
 *
 * It keeps fetch's contract where the AI SDK relies on it: it rejects with the signal's reason when
 * aborted, with `TypeError('fetch failed', { cause })` on a network error (the SDK retries those), and
 * answers with a standard Response. A whole JSON answer is read before it resolves; a server-sent
 * event stream is passed on as it arrives. Request objects and bodies other than text or bytes go to
 * the global fetch.
 */
export const modelFetch: typeof fetch = (input, init = {}) => {
  const body = init.body;
  const url = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : undefined;
  if (!url || (body != null && typeof body !== 'string' && !(body instanceof Uint8Array)) || !(url.protocol in agents)) return fetch(input, init);
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason);

  return new Promise<Response>((resolve, reject) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    if (body != null) headers['content-length'] = String(Buffer.byteLength(body));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, { method: init.method ?? 'GET', headers, agent: agents[url.protocol as keyof typeof agents] });

    let settled = false;
    let responseBody: Readable | undefined;
    const fail = (error: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      if (!settled) reject(error);
      settled = true;
    };
    const onAbort = () => {
      fail(signal?.reason);
      responseBody?.destroy(signal?.reason);
      request.destroy();
    };
    const broken = (error: Error) => fail(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', broken);
    request.on('response', (response) => {
      const answer = (content: BodyInit | null) => {
        settled = true;
        resolve(new Response(content, { status: response.statusCode, statusText: response.statusMessage, headers: responseHeaders(response) }));
      };
      const content = (responseBody = decodedStream(response));
      // The signal keeps its hold until the body ends: aborting mid-stream ends the stream with an error, as fetch does.
      content.once('close', () => signal?.removeEventListener('abort', onAbort));
      if (/^text\/event-stream/i.test(response.headers['content-type'] ?? '')) {
        answer(Readable.toWeb(content) as ReadableStream<Uint8Array>);
        return;
      }
      const chunks: Buffer[] = [];
      response.on('error', broken);
      content.on('error', broken);
      content.on('data', (chunk: Buffer) => chunks.push(chunk));
      content.on('end', () => answer(nullBodyStatus(response.statusCode) ? null : Buffer.concat(chunks)));
    });
    request.end(body);
  });
};

/** Statuses a Response must be made without a body for. */
const nullBodyStatus = (status: number | undefined) => status === 101 || status === 204 || status === 205 || status === 304;

function responseHeaders(response: IncomingMessage): Headers {
  const headers = new Headers();
  for (let index = 0; index < response.rawHeaders.length; index += 2) headers.append(response.rawHeaders[index]!, response.rawHeaders[index + 1]!);
  // The body handed on is decoded (as fetch does), so its encoding and length no longer describe it.
  if (response.headers['content-encoding']) {
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  return headers;
}

/** The body as sent, decoded: nothing asks for compression, but a server may send it anyway. */
function decodedStream(response: IncomingMessage): Readable {
  switch (response.headers['content-encoding']?.toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return response.pipe(createGunzip());
    case 'deflate':
      return response.pipe(createInflate());
    case 'br':
      return response.pipe(createBrotliDecompress());
    default:
      return response;
  }
}
