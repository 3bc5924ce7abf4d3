import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter, tenantOwnedProperties } from '../../db/base.js';

export const ticketStatuses = ['open', 'in_progress', 'waiting', 'resolved', 'closed'] as const;
export const ticketPriorities = ['low', 'normal', 'high', 'urgent'] as const;

export const Ticket = defineEntity({
  name: 'Ticket',
  tableName: 'ticket',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    subject: p.string(),
    description: p.text().nullable(),
    status: p.enum([...ticketStatuses]),
    priority: p.enum([...ticketPriorities]),
    category: p.string(),
    patientId: p.uuid().nullable(),
    conversationId: p.uuid().nullable(),
    assignee: p.string().nullable(),
    createdByKind: p.string(),
    createdById: p.string(),
    resolvedAt: p.datetime().nullable(),
    closedAt: p.datetime().nullable(),
  },
});
export type Ticket = InferEntity<typeof Ticket>;

export const TicketNote = defineEntity({
  name: 'TicketNote',
  tableName: 'ticket_note',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    ticketId: p.uuid(),
    authorKind: p.string(),
    authorId: p.string(),
    body: p.text(),
  },
});
export type TicketNote = InferEntity<typeof TicketNote>;
