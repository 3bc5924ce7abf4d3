import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter, tenantOwnedProperties } from '../../db/base.js';

export const conversationChannels = ['whatsapp', 'sms', 'voice', 'chat', 'email'] as const;
export type ConversationChannel = (typeof conversationChannels)[number];
/**
 * One thread per tenant, channel and contact (the patient's number). Linked to a patient only after
 * verification, which lasts until `verifiedUntil`. `handledBy: staff` silences the bot.
 */
export const Conversation = defineEntity({
  name: 'Conversation',
  tableName: 'conversation',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    channel: p.enum([...conversationChannels]),
    /** The other party: E.164 for phone channels. */
    contact: p.string(),
    /** Our number the patient wrote to; replies go out from it. */
    clinicAddress: p.string().nullable(),
    patientId: p.uuid().nullable(),
    verifiedUntil: p.datetime().nullable(),
    /**
     * The agent reads only messages after this (see `historyFloor`): set when another patient is
     * verified on the number, or when a turn that began verified ends after the check lapsed.
     */
    historyFrom: p.datetime().nullable(),
    status: p.enum(['open', 'closed']),
    handledBy: p.enum(['bot', 'staff']),
    handoffTicketId: p.uuid().nullable(),
    /** Carrier opt-out (STOP): nothing is sent but the confirmation until START. */
    optedOutAt: p.datetime().nullable(),
    /** The guided engine's and the verification's state between turns. */
    state: p.json<Record<string, unknown>>(),
    lastMessageAt: p.datetime().nullable(),
    closedAt: p.datetime().nullable(),
  },
});
export type Conversation = InferEntity<typeof Conversation>;

/** One run of the agent on one inbound message: how it answered, and every step on the way. */
export const AgentTurn = defineEntity({
  name: 'AgentTurn',
  tableName: 'agent_turn',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    conversationId: p.uuid(),
    inboundMessageId: p.uuid().nullable(),
    mode: p.enum(['model', 'guided']),
    model: p.string().nullable(),
    /** replied, handed_off, silent (staff has the conversation), failed. */
    outcome: p.string(),
    /** Why the model was not used or not trusted (not configured, error, timeout). */
    fallbackReason: p.text().nullable(),
    steps: p.json<unknown[]>(),
    replyMessageId: p.uuid().nullable(),
    durationMs: p.double().$type<number>(),
    startedAt: p.datetime(),
  },
});
export type AgentTurn = InferEntity<typeof AgentTurn>;

/**
 * Failed identity checks of one phone number at one clinic, across its conversations (WhatsApp, SMS,
 * voice): five in a row lock the number out of verify_identity until `lockedUntil`.
 */
export const VerificationLockout = defineEntity({
  name: 'VerificationLockout',
  tableName: 'verification_lockout',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    /** The conversations' contact: E.164 for phone channels. */
    contact: p.string(),
    failures: p.integer(),
    lockedUntil: p.datetime().nullable(),
  },
});
export type VerificationLockout = InferEntity<typeof VerificationLockout>;

/** A tenant's Twilio account and numbers; inbound webhooks find their tenant by the `To` number. */
export const TwilioAccount = defineEntity({
  name: 'TwilioAccount',
  tableName: 'twilio_account',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    accountSid: p.string(),
    authToken: p.string(),
    phoneNumber: p.string().nullable(),
    whatsappNumber: p.string().nullable(),
  },
});
export type TwilioAccount = InferEntity<typeof TwilioAccount>;

/**
 * A Twilio number and the one clinic it belongs to, as its SMS/voice number or its WhatsApp sender:
 * inbound webhooks are routed by it. Unique across tenants and both uses (`twilio_number_taken`).
 */
export const TwilioNumber = defineEntity({
  name: 'TwilioNumber',
  tableName: 'twilio_number',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    /** E.164. */
    number: p.string(),
  },
});
export type TwilioNumber = InferEntity<typeof TwilioNumber>;
