import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import type { Services } from '../../context.js';
import type { AppEnv } from '../../http/env.js';
import { Id } from '../../schema.js';
import { API_BASE, ErrorBody } from '../../tools/rest.js';
import { runOperation } from '../../tools/runner.js';
import { downloadWithLink, openMediaFile } from './download.js';
import { FILE_LINK_PATH } from './file-links.js';
import { MediaView } from './schema.js';
import { acceptUpload } from './upload.js';

/** The multipart upload route, outside the JSON routes of the operations. */
export const UPLOAD_PATH = `${API_BASE}/media`;

const errors = (described: Record<number, string>) =>
  Object.fromEntries(Object.entries(described).map(([status, description]) => [status, { description, content: { 'application/json': { schema: ErrorBody } } }]));

const UploadForm = z.object({
  file: z.string().meta({ format: 'binary' }).describe('The file: JPEG, PNG, WebP, HEIC/HEIF, PDF, or MP3, M4A, AAC, Ogg/Opus, WAV, AMR, WebM audio. Its type is read from its bytes.'),
  patientId: Id.optional().describe('The patient it belongs to.'),
  conversationId: Id.optional().describe('The conversation it belongs to.'),
  ticketId: Id.optional().describe('The ticket it belongs to.'),
});

const binary = (description: string) => ({ description, content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } } });

/** Upload (multipart), download with a key, and download with a signed link (no key). */
export function mountMediaRoutes(app: OpenAPIHono<AppEnv>, services: Services): void {
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: UPLOAD_PATH,
    operationId: 'upload_media',
    summary: 'Upload a file',
    description:
      'Uploads one file as multipart/form-data (part `file`), optionally linked to a patient, conversation or ticket. ' +
      'Streamed to storage; a file identical to one the clinic already has is stored once. Recorded through `record_media_upload`, so it is in the run log.',
    tags: ['media'],
    security: [{ bearerAuth: [] }],
    request: { body: { content: { 'multipart/form-data': { schema: UploadForm } }, required: true } },
    responses: {
      201: { description: 'The media record.', content: { 'application/json': { schema: MediaView } } },
      ...errors({
        400: 'A malformed or cut-off body, an unknown field, a bad id: `issues` names it.',
        404: 'A linked patient, conversation or ticket is not in this clinic.',
        413: 'The file is larger than PRM_MEDIA_MAX_BYTES (refused from Content-Length before reading, or while streaming).',
        415: 'Not multipart, or a file of a type not taken (read from its bytes).',
        422: 'An empty file, or a merged patient.',
      }),
    },
  });
  app.post(UPLOAD_PATH, async (c) => {
    const outcome = await acceptUpload(services, c.get('caller'), { body: c.req.raw.body, contentType: c.req.header('content-type'), idempotencyKey: c.req.header('idempotency-key') });
    c.header('X-Tool-Run-Id', outcome.runId);
    if (!outcome.ok) throw outcome.error;
    if (outcome.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(outcome.output as object, 201);
  });

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: `${API_BASE}/media/{id}/content`,
    operationId: 'download_media',
    summary: 'Download a file',
    description: 'The file’s bytes, with its type and a safe file name. Runs `get_media`, so each download is in the run log.',
    tags: ['media'],
    security: [{ bearerAuth: [] }],
    request: { params: z.object({ id: Id }) },
    responses: { 200: binary('The file.'), ...errors({ 404: 'No such media in this clinic.' }) },
  });
  app.get(`${API_BASE}/media/:id/content`, async (c) => {
    const caller = c.get('caller');
    const outcome = await runOperation(services, caller, { tool: 'get_media', input: { id: c.req.param('id') } });
    c.header('X-Tool-Run-Id', outcome.runId);
    if (!outcome.ok) throw outcome.error;
    const file = await openMediaFile(services, caller.tenant.id, MediaView.parse(outcome.output));
    return c.body(file.body, 200, file.headers);
  });

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: `${FILE_LINK_PATH}/{id}`,
    operationId: 'download_media_link',
    summary: 'Download a file by signed link',
    description: 'The link `get_media` gives out (local disk storage): no API key; valid until `expires`.',
    tags: ['media'],
    request: { params: z.object({ id: Id }), query: z.object({ expires: z.string(), signature: z.string() }) },
    responses: { 200: binary('The file.'), ...errors({ 403: 'The link expired or was altered.', 404: 'The file was deleted.' }) },
  });
  app.get(`${FILE_LINK_PATH}/:id`, async (c) => {
    const file = await downloadWithLink(services, { id: c.req.param('id'), expires: c.req.query('expires'), signature: c.req.query('signature') });
    return c.body(file.body, 200, file.headers);
  });
}
