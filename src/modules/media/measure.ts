import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { payloadTooLarge } from '../../errors.js';
import { SNIFF_BYTES } from './content-types.js';

/** What was measured of a file as it was written: its size, SHA-256 and first bytes (for the type check). */
export type Measured = { sizeBytes: number; sha256: string; head: Buffer };

/** Hashes, counts and keeps the first bytes of what passes through it. */
export class Measure extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  private readonly headChunks: Buffer[] = [];
  private headSize = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.headSize < SNIFF_BYTES) {
      const piece = chunk.subarray(0, SNIFF_BYTES - this.headSize);
      this.headChunks.push(piece);
      this.headSize += piece.length;
    }
    callback(null, chunk);
  }

  get head(): Buffer {
    return Buffer.concat(this.headChunks);
  }
}

/** Passes bytes on until more than `limit` have come, then fails with 413: a body without a length is counted here. */
export class ByteLimit extends Transform {
  private seen = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) callback(payloadTooLarge(this.limit));
    else callback(null, chunk);
  }
}

/**
 * Writes `source` to a new file at `path` while measuring it; more than `maxBytes` fails with 413.
 * On any failure the file is removed (once its stream has closed, so it cannot reappear).
 */
export async function saveStream(source: Readable, path: string, maxBytes: number): Promise<Measured> {
  const measure = new Measure();
  const target = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  try {
    await pipeline(source, new ByteLimit(maxBytes), measure, target);
  } catch (error) {
    if (!target.closed) await new Promise<void>((resolve) => target.once('close', () => resolve()));
    await rm(path, { force: true });
    throw error;
  }
  return { sizeBytes: measure.size, sha256: measure.hash.digest('hex'), head: measure.head };
}
