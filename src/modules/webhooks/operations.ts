import { z } from 'zod';
import { Id } from '../../schema.js';
import { defineOperation } from '../../tools/operation.js';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, rotateSecret, updateEndpoint } from './endpoints.js';
import { listAttempts, retryDeliveries, sendTestEvent } from './delivery-actions.js';
import { listEvents } from './events.js';
import {
  CreateEndpointInput,
  ListAttemptsInput,
  ListAttemptsOutput,
  RetryDeliveriesInput,
  RetryDeliveriesOutput,
  TestEventOutput,
  EndpointIdInput,
  EndpointView,
  EndpointWithSecret,
  ListEndpointsOutput,
  ListEventsInput,
  ListEventsOutput,
  UpdateEndpointInput,
} from './schema.js';

const tag = 'events';
const webhookTag = 'webhooks';
const staff = { roles: ['staff'] } as const;
/** Admin keys only: an endpoint sends the clinic's events out of the service. */
const adminOnly = { roles: [] } as const;

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
  defineOperation({
    name: 'create_webhook_endpoint',
    title: 'Create a webhook endpoint',
    description:
      'Subscribes a URL to the clinic’s events (appointment.*, ticket.created, *). Deliveries are signed (Standard Webhooks) with the secret in this answer, which is shown only here. ' +
      'A URL on a loopback, private or link-local network is refused unless its host is allowed by PRM_WEBHOOK_ALLOWED_HOSTS.',
    tag: webhookTag,
    input: CreateEndpointInput,
    output: EndpointWithSecret,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: adminOnly,
    http: { method: 'post', path: '/webhooks/endpoints', status: 201 },
    run: (ctx, input) => createEndpoint(ctx, input),
  }),
  defineOperation({
    name: 'list_webhook_endpoints',
    title: 'List webhook endpoints',
    description: 'The clinic’s webhook endpoints, oldest first (without their secrets).',
    tag: webhookTag,
    input: z.strictObject({}),
    output: ListEndpointsOutput,
    annotations: { readOnly: true, destructive: false, idempotent: true },
    access: adminOnly,
    http: { method: 'get', path: '/webhooks/endpoints' },
    run: (ctx) => listEndpoints(ctx),
  }),
  defineOperation({
    name: 'get_webhook_endpoint',
    title: 'Get a webhook endpoint',
    description: 'One webhook endpoint (without its secret).',
    tag: webhookTag,
    input: EndpointIdInput,
    output: EndpointView,
    annotations: { readOnly: true, destructive: false, idempotent: true },
    access: adminOnly,
    http: { method: 'get', path: '/webhooks/endpoints/{id}' },
    run: (ctx, input) => getEndpoint(ctx, input.id),
  }),
  defineOperation({
    name: 'update_webhook_endpoint',
    title: 'Update a webhook endpoint',
    description: 'Changes the URL (checked again), the event types, the description, or turns it off and on. Only the fields given change.',
    tag: webhookTag,
    input: UpdateEndpointInput,
    output: EndpointView,
    annotations: { readOnly: false, destructive: false, idempotent: true },
    access: adminOnly,
    http: { method: 'patch', path: '/webhooks/endpoints/{id}' },
    run: (ctx, input) => updateEndpoint(ctx, input),
  }),
  defineOperation({
    name: 'delete_webhook_endpoint',
    title: 'Delete a webhook endpoint',
    description: 'Deletes the endpoint: nothing more is delivered to it.',
    tag: webhookTag,
    input: EndpointIdInput,
    output: z.object({ id: Id, deleted: z.literal(true) }),
    annotations: { readOnly: false, destructive: true, idempotent: false },
    access: adminOnly,
    http: { method: 'delete', path: '/webhooks/endpoints/{id}' },
    run: (ctx, input) => deleteEndpoint(ctx, input.id),
  }),
  defineOperation({
    name: 'rotate_webhook_secret',
    title: 'Rotate a webhook endpoint’s secret',
    description: 'Makes a new signing secret, shown only in this answer; for 24 hours deliveries carry a signature with the old secret too, so the receiver can switch.',
    tag: webhookTag,
    input: EndpointIdInput,
    output: EndpointWithSecret,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: adminOnly,
    http: { method: 'post', path: '/webhooks/endpoints/{id}/rotate-secret' },
    run: (ctx, input) => rotateSecret(ctx, input.id),
  }),
  defineOperation({
    name: 'list_webhook_attempts',
    title: 'List a webhook endpoint’s delivery attempts',
    description: 'Every try at delivering an event to the endpoint, newest first: outcome, HTTP status, the first kilobyte of the answer, why it failed, how long it took.',
    tag: webhookTag,
    input: ListAttemptsInput,
    output: ListAttemptsOutput,
    annotations: { readOnly: true, destructive: false, idempotent: true },
    access: adminOnly,
    http: { method: 'get', path: '/webhooks/endpoints/{id}/attempts' },
    run: (ctx, input) => listAttempts(ctx, input),
  }),
  defineOperation({
    name: 'retry_webhook_deliveries',
    title: 'Retry webhook deliveries now',
    description:
      'Sends one event to the endpoint again now (delivered or not), or, without eventId, every event whose deliveries to it failed since `since` (default: the last 24 hours). ' +
      'A delivery waiting for its next try is brought forward; an entity’s events still arrive in order. The endpoint must be turned on.',
    tag: webhookTag,
    input: RetryDeliveriesInput,
    output: RetryDeliveriesOutput,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: adminOnly,
    http: { method: 'post', path: '/webhooks/endpoints/{id}/retry' },
    run: (ctx, input) => retryDeliveries(ctx, input),
  }),
  defineOperation({
    name: 'send_test_webhook',
    title: 'Send a test event to a webhook endpoint',
    description: 'Sends a webhook.test event to this endpoint only (a turned-off one too), once, signed like every delivery. Its attempt shows the receiver’s answer.',
    tag: webhookTag,
    input: EndpointIdInput,
    output: TestEventOutput,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: adminOnly,
    http: { method: 'post', path: '/webhooks/endpoints/{id}/test' },
    run: (ctx, input) => sendTestEvent(ctx, input.id),
  }),
];
