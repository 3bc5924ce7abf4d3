import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { after, decodeCursor, instantRange, page } from '../../db/pagination.js';
import { invalid, notFound } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { toIso, toIsoOrNull } from '../../schema.js';
import { requireConversation } from '../conversations/lookup.js';
import { requireActivePatient } from '../patients/lookup.js';
import { Ticket, TicketNote } from './entities.js';
import type { AddTicketNoteInput, CreateTicketInput, ListTicketsInput, TicketView, UpdateTicketInput } from './schema.js';

const ticketView = (ticket: Ticket): TicketView => ({
  id: ticket.id,
  subject: ticket.subject,
  description: ticket.description ?? null,
  status: ticket.status,
  priority: ticket.priority,
  category: ticket.category,
  patientId: ticket.patientId ?? null,
  conversationId: ticket.conversationId ?? null,
  assignee: ticket.assignee ?? null,
  createdBy: { kind: ticket.createdByKind, id: ticket.createdById },
  resolvedAt: toIsoOrNull(ticket.resolvedAt),
  closedAt: toIsoOrNull(ticket.closedAt),
  createdAt: toIso(ticket.createdAt),
  updatedAt: toIso(ticket.updatedAt),
});

const noteView = (note: TicketNote) => ({
  id: note.id,
  body: note.body,
  author: { kind: note.authorKind, id: note.authorId },
  createdAt: toIso(note.createdAt),
});

/** The clinic's ticket with this id, or 404. */
export async function requireTicket(ctx: AppContext, id: string): Promise<Ticket> {
  const ticket = await ctx.em.findOne(Ticket, { id });
  if (!ticket) throw notFound('Ticket', id);
  return ticket;
}

/** Opens a ticket, optionally about a patient and from a conversation. */
export async function createTicket(ctx: AppContext, input: z.output<typeof CreateTicketInput>): Promise<TicketView> {
  if (input.patientId) await requireActivePatient(ctx, input.patientId);
  if (input.conversationId) await requireConversation(ctx, input.conversationId);
  const now = ctx.clock.now();
  const ticket = ctx.em.create(Ticket, {
    id: newId(),
    tenantId: ctx.tenant.id,
    subject: input.subject,
    description: input.description ?? null,
    status: 'open',
    priority: input.priority,
    category: input.category,
    patientId: input.patientId ?? null,
    conversationId: input.conversationId ?? null,
    assignee: input.assignee ?? null,
    createdByKind: ctx.actor.kind,
    createdById: ctx.actor.id,
    resolvedAt: null,
    closedAt: null,
    createdAt: now,
    updatedAt: now,
  });
  recordEvent(ctx, { type: 'ticket.created', entityType: 'ticket', entityId: ticket.id, payload: { priority: ticket.priority, category: ticket.category } });
  return ticketView(ticket);
}

/** A ticket with its notes, oldest note first. */
export async function getTicket(ctx: AppContext, id: string) {
  const ticket = await requireTicket(ctx, id);
  const notes = await ctx.em.find(TicketNote, { ticketId: id }, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return { ...ticketView(ticket), notes: notes.map(noteView) };
}

/** Tickets, newest first, filtered; keyset-paginated. */
export async function listTickets(ctx: AppContext, input: z.output<typeof ListTicketsInput>) {
  const created = instantRange(input.createdSince, input.createdUntil);
  const rows = await ctx.em.find(
    Ticket,
    {
      ...(input.status ? { status: { $in: input.status } } : {}),
      ...(input.priority ? { priority: { $in: input.priority } } : {}),
      ...(input.category ? { category: input.category } : {}),
      ...(input.assignee ? { assignee: input.assignee } : {}),
      ...(input.unassigned === true ? { assignee: null } : {}),
      ...(input.patientId ? { patientId: input.patientId } : {}),
      ...(input.conversationId ? { conversationId: input.conversationId } : {}),
      ...(created ? { createdAt: created } : {}),
      ...after('createdAt', decodeCursor(input.cursor)),
    },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  return page(rows, input.limit, (ticket) => ({ at: ticket.createdAt, id: ticket.id }), ticketView);
}

/** Changes status, priority, assignee, category, subject or description; stamps resolved/closed times. */
export async function updateTicket(ctx: AppContext, input: z.output<typeof UpdateTicketInput>): Promise<TicketView> {
  const { id, ...changes } = input;
  if (Object.keys(changes).length === 0) throw invalid('Give at least one field to change.', [{ path: '(input)', message: 'no changes' }]);
  const ticket = await requireTicket(ctx, id);
  const before = { status: ticket.status, priority: ticket.priority, assignee: ticket.assignee };
  const now = ctx.clock.now();
  if (changes.subject !== undefined) ticket.subject = changes.subject;
  if (changes.description !== undefined) ticket.description = changes.description;
  if (changes.priority !== undefined) ticket.priority = changes.priority;
  if (changes.category !== undefined) ticket.category = changes.category;
  if (changes.assignee !== undefined) ticket.assignee = changes.assignee;
  if (changes.status !== undefined && changes.status !== ticket.status) {
    ticket.status = changes.status;
    ticket.resolvedAt = changes.status === 'resolved' ? now : changes.status === 'closed' ? (ticket.resolvedAt ?? now) : null;
    ticket.closedAt = changes.status === 'closed' ? now : null;
  }
  ticket.updatedAt = now;
  recordEvent(ctx, { type: 'ticket.updated', entityType: 'ticket', entityId: ticket.id, payload: { before, changes } });
  return ticketView(ticket);
}

/** Adds a note by the calling actor. */
export async function addTicketNote(ctx: AppContext, input: z.output<typeof AddTicketNoteInput>) {
  const ticket = await requireTicket(ctx, input.id);
  const note = ctx.em.create(TicketNote, {
    id: newId(),
    tenantId: ctx.tenant.id,
    ticketId: ticket.id,
    authorKind: ctx.actor.kind,
    authorId: ctx.actor.id,
    body: input.body,
    createdAt: ctx.clock.now(),
    updatedAt: ctx.clock.now(),
  });
  ticket.updatedAt = ctx.clock.now();
  recordEvent(ctx, { type: 'ticket.note_added', entityType: 'ticket', entityId: ticket.id, payload: { noteId: note.id } });
  return noteView(note);
}
