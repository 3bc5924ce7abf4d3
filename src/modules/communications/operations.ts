import { defineOperation } from '../../tools/operation.js';
import { CommunicationDetail, GetCommunicationInput, ListCommunicationsInput, ListCommunicationsOutput } from './schema.js';
import * as communications from './service.js';

const tag = 'communications';
const read = { readOnly: true, destructive: false, idempotent: true };

export const communicationOperations = [
  defineOperation({
    name: 'list_communications',
    title: 'List communications',
    description: 'Every message in or out of the clinic, on any channel, newest first: inbound, the assistant’s replies, staff messages, with delivery status. Filter by patient, conversation, channel, direction, status and time.',
    tag,
    input: ListCommunicationsInput,
    output: ListCommunicationsOutput,
    annotations: read,
    access: { roles: ['staff'] },
    http: { method: 'get', path: '/communications' },
    run: (ctx, input) => communications.listCommunications(ctx, input),
  }),
  defineOperation({
    name: 'get_communication',
    title: 'Get a communication',
    description: 'One message with its delivery status and every status report its provider sent.',
    tag,
    input: GetCommunicationInput,
    output: CommunicationDetail,
    annotations: read,
    access: { roles: ['staff'] },
    http: { method: 'get', path: '/communications/{id}' },
    run: (ctx, input) => communications.getCommunication(ctx, input.id),
  }),
];
