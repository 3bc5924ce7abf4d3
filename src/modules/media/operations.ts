import { defineOperation } from '../../tools/operation.js';
import { LinkMediaInput, ListMediaInput, ListMediaOutput, MediaIdInput, MediaView, MediaWithLink, RecordUploadInput } from './schema.js';
import { deleteMedia, getMedia, linkMedia, listMedia, recordUpload } from './service.js';

const tag = 'media';
/** Files of patients are health information: in a conversation, only once the patient is verified. */
const access = { roles: ['staff', 'agent'], phi: true } as const;

/** The upload route (POST /media, multipart) runs this with the receipt it made; see routes.ts. */
export const RECORD_UPLOAD_TOOL = 'record_media_upload';

export const mediaOperations = [
  defineOperation({
    name: RECORD_UPLOAD_TOOL,
    title: 'Record an uploaded file',
    description:
      'Records a file that POST /media (multipart/form-data) has just stored, from the receipt that route makes. ' +
      'To upload a file, use POST /media: nothing else can make a receipt.',
    tag,
    input: RecordUploadInput,
    output: MediaView,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access,
    http: { method: 'post', path: '/media/uploads', status: 201 },
    run: (ctx, input) => recordUpload(ctx, input),
  }),
  defineOperation({
    name: 'get_media',
    title: 'Get a media file',
    description: 'One uploaded file’s details (type, size, what it belongs to) and a signed link to download it, valid for a short time (15 minutes by default).',
    tag,
    input: MediaIdInput,
    output: MediaWithLink,
    annotations: { readOnly: true, destructive: false, idempotent: true },
    access,
    http: { method: 'get', path: '/media/{id}' },
    run: (ctx, input) => getMedia(ctx, input.id),
  }),
  defineOperation({
    name: 'list_media',
    title: 'List media files',
    description: 'Uploaded files, newest first, filtered by the patient, conversation, ticket or message they belong to. Use get_media for a download link.',
    tag,
    input: ListMediaInput,
    output: ListMediaOutput,
    annotations: { readOnly: true, destructive: false, idempotent: true },
    access,
    http: { method: 'get', path: '/media' },
    run: (ctx, input) => listMedia(ctx, input),
  }),
  defineOperation({
    name: 'link_media',
    title: 'Link a media file',
    description: 'Sets what a file belongs to: a patient, a conversation, a ticket. Only the fields given change; null removes a link.',
    tag,
    input: LinkMediaInput,
    output: MediaView,
    annotations: { readOnly: false, destructive: false, idempotent: true },
    access,
    http: { method: 'patch', path: '/media/{id}' },
    run: (ctx, input) => linkMedia(ctx, input),
  }),
  defineOperation({
    name: 'delete_media',
    title: 'Delete a media file',
    description: 'Deletes an uploaded file: it is no longer listed or downloadable, and its bytes are removed unless another record of the same file still uses them.',
    tag,
    input: MediaIdInput,
    output: MediaView,
    annotations: { readOnly: false, destructive: true, idempotent: false },
    access,
    http: { method: 'delete', path: '/media/{id}' },
    run: (ctx, input) => deleteMedia(ctx, input.id),
  }),
];
