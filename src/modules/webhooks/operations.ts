import { defineOperation } from '../../tools/operation.js';
import { listEvents } from './events.js';
import { ListEventsInput, ListEventsOutput } from './schema.js';

const tag = 'events';
const staff = { roles: ['staff'] } as const;

export const webhookOperations = [
  defineOperation({
    name: 'list_events',
    title: 'List events',
    description:
      'The clinic’s domain events (appointment.booked, ticket.created, …), oldest first, filtered by type or family (appointment.*), entity and time. ' +
      'Page with `nextCursor`, and keep it to poll for newer events later. An event appears here 5 seconds after it happened. ' +
      'Its data holds ids, counts and the names of changed fields only: read the entity for the rest.',
    tag,
    input: ListEventsInput,
    output: ListEventsOutput,
    annotations: { readOnly: true, destructive: false, idempotent: true },
    access: staff,
    http: { method: 'get', path: '/events' },
    run: (ctx, input) => listEvents(ctx, input),
  }),
];
