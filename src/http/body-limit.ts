import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { payloadTooLarge } from '../errors.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/** The largest request bodies the service reads, in bytes. */
export const BODY_LIMITS = {
  /** REST and MCP JSON: every input the schemas allow fits, except a knowledge article's long text. */
  json: MIB,
  /**
   * `POST /vector/ingest/knowledge`: its text may hold 500,000 characters, which a client that escapes
   * everything outside ASCII (Python's json.dumps does by default) sends as up to 6 bytes each.
   */
  knowledgeArticle: 4 * MIB,
  /**
   * Twilio's webhooks (form posts). The one webhook size Twilio states is a 1 MB cap for its largest
   * payloads (transcription callbacks, error 17564); the ones we take are far smaller: a message body
   * (SMS up to 1,600 characters, WhatsApp 4,096), up to 10 media URLs and about 40 short fields, about
   * 40 KB at most even with every character percent-encoded.
   */
  twilio: 128 * KIB,
} as const;

/**
 * Refuses a body over `limitOf(path)` bytes with 413 before reading it: a Content-Length over the limit
 * is refused up front; a body without one (chunked) is read only until it passes the limit. The 413
 * closes the connection, so the rest of the body is never read either.
 *
 * `countedByRoute`: paths whose route counts a body without a length itself, as it streams it; only a
 * declared length is checked here.
 *
 * A request that declares its length (every client we know of, Twilio included) is checked from its
 * headers alone. Hono's bodyLimit looks at `c.req.raw.body` first, which makes @hono/node-server build
 * a whole fetch Request with a web stream over the socket for every request, GETs too: that was a
 * tenth of the service's CPU under load, and its fast body read was lost.
 */
export function limitBody(limitOf: (path: string) => number, options: { countedByRoute?: (path: string) => boolean } = {}): MiddlewareHandler {
  const bySize = new Map<number, MiddlewareHandler>();
  const streamed = (maxSize: number) => {
    let known = bySize.get(maxSize);
    if (!known) {
      known = bodyLimit({ maxSize, onError: () => tooLarge(maxSize) });
      bySize.set(maxSize, known);
    }
    return known;
  };
  return (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const maxSize = limitOf(c.req.path);
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) {
      // Hono's limit holds a body without a length in memory until it ends: a route that streams large
      // bodies (media uploads) counts them itself as they pass.
      return options.countedByRoute?.(c.req.path) ? next() : streamed(maxSize)(c, next);
    }
    if (Number(length) > maxSize) tooLarge(maxSize);
    return next();
  };
}

function tooLarge(maxSize: number): never {
  throw payloadTooLarge(maxSize);
}
