import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import busboy from 'busboy';
import { AppError, invalid, payloadTooLarge, unsupportedMediaType, type FieldIssue } from '../../errors.js';
import { ByteLimit, Measure } from './measure.js';

/** The form fields an upload may carry beside its file. */
export const UPLOAD_FIELDS = ['patientId', 'conversationId', 'ticketId'] as const;
type UploadField = (typeof UPLOAD_FIELDS)[number];

/** An upload written to a temporary file: where, how big, its hash and first bytes, and the form's fields. */
export type ReceivedUpload = {
  path: string;
  sizeBytes: number;
  sha256: string;
  /** The first bytes, for the type check. */
  head: Buffer;
  fileName: string | undefined;
  fields: Partial<Record<UploadField, string>>;
};

/**
 * Reads a multipart/form-data upload as it streams in: the part named `file` goes to a new file in
 * `directory` while it is hashed (SHA-256) and counted, never held in memory; the text fields are
 * kept. A file over `maxFileBytes`, or a body over `maxBodyBytes`, stops the read at once with 413;
 * a body that is not multipart is 415; a malformed or cut-off body, an unknown field or a second file
 * is 400. The temporary file is removed on every refusal; on success the caller removes it.
 */
export async function receiveUpload(options: {
  body: ReadableStream<Uint8Array> | null;
  contentType: string | undefined;
  maxFileBytes: number;
  maxBodyBytes: number;
  directory: string;
}): Promise<ReceivedUpload> {
  if (!/^multipart\/form-data\s*;/i.test(options.contentType ?? '')) {
    throw unsupportedMediaType('Send the upload as multipart/form-data, the file in a part named "file".', 'content-type');
  }
  if (!options.body) throw invalid('The upload has no body.', [{ path: 'file', message: 'required' }]);
  await mkdir(options.directory, { recursive: true });
  const path = join(options.directory, randomUUID());
  const fields: ReceivedUpload['fields'] = {};
  const issues: FieldIssue[] = [];
  const counted = new ByteLimit(options.maxBodyBytes);
  let measure: Measure | undefined;
  let fileName: string | undefined;
  let written: Promise<void> = Promise.resolve();
  let target: WriteStream | undefined;

  try {
    const parser = busboy({
      headers: { 'content-type': options.contentType },
      defParamCharset: 'utf8',
      // busboy reports its limit on reaching it: one byte more tells a file of exactly the limit from a larger one.
      limits: { files: 1, fileSize: options.maxFileBytes + 1, fields: UPLOAD_FIELDS.length, fieldSize: 200, parts: UPLOAD_FIELDS.length + 1, headerPairs: 20 },
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || measure) {
        issues.push({ path: name, message: name === 'file' ? 'only one file per upload' : 'unknown part: the file goes in the part named "file"' });
        stream.resume();
        return;
      }
      fileName = info.filename;
      // Past the file limit nothing more is read: the whole read fails with 413.
      stream.on('limit', () => counted.destroy(payloadTooLarge(options.maxFileBytes)));
      measure = new Measure();
      target = createWriteStream(path, { flags: 'wx', mode: 0o600 });
      written = pipeline(stream, measure, target);
      written.catch(() => {}); // awaited below; a failure must not go unhandled meanwhile
    });
    parser.on('field', (name, value, info) => {
      if (!(UPLOAD_FIELDS as readonly string[]).includes(name)) issues.push({ path: name, message: 'unknown field' });
      else if (info.valueTruncated) issues.push({ path: name, message: 'too long' });
      else fields[name as UploadField] = value;
    });
    for (const limit of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const) {
      parser.on(limit, () => issues.push({ path: '(form)', message: `too many parts: one file and at most the fields ${UPLOAD_FIELDS.join(', ')}` }));
    }
    await pipeline(Readable.fromWeb(options.body as NodeWebStream), counted, parser);
    await written;
  } catch (error) {
    measure?.destroy(new Error('the upload was refused')); // ends the file's write, so it can be removed
    await written.catch(() => {});
    // The file may still be opening: removed before that, it would be created after.
    const opened = target;
    if (opened && !opened.closed) await new Promise<void>((resolve) => opened.once('close', () => resolve()));
    await rm(path, { force: true });
    if (error instanceof AppError) throw error;
    throw invalid('The multipart body is malformed or was cut off before its end.', [{ path: '(body)', message: 'malformed or incomplete multipart/form-data' }]);
  }

  const refusal =
    issues.length > 0
      ? invalid(`Invalid upload: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, issues)
      : !measure
        ? invalid('The upload has no file: send it in a part named "file".', [{ path: 'file', message: 'required' }])
        : undefined;
  if (refusal || !measure) {
    await rm(path, { force: true });
    throw refusal;
  }
  return { path, sizeBytes: measure.size, sha256: measure.hash.digest('hex'), head: measure.head, fileName, fields };
}
