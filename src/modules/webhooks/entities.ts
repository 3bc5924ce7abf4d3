import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter, tenantOwnedProperties } from '../../db/base.js';

export const endpointKinds = ['standard', 'n8n'] as const;
/** The roles an n8n endpoint's callbacks may be given: never admin. */
export const callbackRoles = ['staff', 'agent'] as const;

/**
 * Where the clinic's events are pushed: a URL, the event types it wants (`appointment.*`, `*`), and the
 * secret its deliveries are signed with (Standard Webhooks). A rotated secret keeps signing beside the
 * new one until `previousSecretUntil`, so a receiver can switch without missing a delivery.
 */
export const WebhookEndpoint = defineEntity({
  name: 'WebhookEndpoint',
  tableName: 'webhook_endpoint',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    kind: p.enum([...endpointKinds]),
    url: p.text(),
    description: p.text().nullable(),
    eventTypes: p.array<string>(),
    enabled: p.boolean(),
    secret: p.text(),
    previousSecret: p.text().nullable(),
    previousSecretUntil: p.datetime().nullable(),
    /** Why it was turned off, when the service did it (deliveries failing for 5 days). */
    disabledReason: p.text().nullable(),
    /** Since when its deliveries have failed; null after a success. */
    failingSince: p.datetime().nullable(),
    /** n8n: the role its callbacks run with; null: it may make none. */
    callbackRole: p.enum([...callbackRoles]).nullable(),
    /** n8n: the only tools its callbacks may run; null: any its role allows. */
    callbackTools: p.array<string>().nullable(),
  },
});
export type WebhookEndpoint = InferEntity<typeof WebhookEndpoint>;

/** One try at delivering an event to an endpoint, whatever came of it. */
export const WebhookAttempt = defineEntity({
  name: 'WebhookAttempt',
  tableName: 'webhook_attempt',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    endpointId: p.uuid(),
    eventId: p.uuid(),
    attempt: p.integer(),
    succeeded: p.boolean(),
    responseStatus: p.integer().nullable(),
    /** The first kilobyte of the answer. */
    responseBody: p.text().nullable(),
    error: p.text().nullable(),
    durationMs: p.double().$type<number>(),
    createdAt: p.datetime(),
  },
});
export type WebhookAttempt = InferEntity<typeof WebhookAttempt>;
