import { z } from 'zod';
import { pageInput, pageOutput } from '../../db/pagination.js';
import { Id, InstantInput, Timestamp } from '../../schema.js';
import { ticketPriorities, ticketStatuses } from './entities.js';

const Status = z.enum(ticketStatuses).describe('open, in_progress, waiting, resolved or closed.');
const Priority = z.enum(ticketPriorities).describe('low, normal, high or urgent.');
const Category = z.string().trim().min(1).max(60).describe('A short category, for example appointment, billing, clinical, feedback, general.');
const Assignee = z.string().trim().min(1).max(200).describe('Who works on it: a staff member’s name or email.');

export const TicketNoteView = z.object({
  id: Id,
  body: z.string(),
  author: z.object({ kind: z.string(), id: z.string() }),
  createdAt: Timestamp,
});

export const TicketView = z.object({
  id: Id,
  subject: z.string(),
  description: z.string().nullable(),
  status: Status,
  priority: Priority,
  category: z.string(),
  patientId: Id.nullable(),
  conversationId: Id.nullable(),
  assignee: z.string().nullable(),
  createdBy: z.object({ kind: z.string(), id: z.string() }),
  resolvedAt: Timestamp.nullable(),
  closedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type TicketView = z.infer<typeof TicketView>;

export const TicketWithNotes = TicketView.extend({ notes: z.array(TicketNoteView) });

export const CreateTicketInput = z.strictObject({
  subject: z.string().trim().min(1).max(200).describe('One line: what it is about.'),
  description: z.string().trim().max(10_000).optional().describe('The details.'),
  priority: Priority.default('normal'),
  category: Category.default('general'),
  patientId: Id.optional().describe('The patient it concerns, if any.'),
  conversationId: Id.optional().describe('The conversation it came from, if any.'),
  assignee: Assignee.optional(),
});

export const GetTicketInput = z.strictObject({ id: Id.describe('The ticket id.') });

export const ListTicketsInput = z.strictObject({
  status: z.array(Status).max(5).optional().describe('Only these statuses (repeat the key or separate with commas).'),
  priority: z.array(Priority).max(4).optional().describe('Only these priorities.'),
  category: Category.optional(),
  assignee: Assignee.optional(),
  unassigned: z.boolean().optional().describe('true: only tickets without an assignee.'),
  patientId: Id.optional(),
  conversationId: Id.optional(),
  createdSince: InstantInput.optional().describe('Created at or after this instant.'),
  createdUntil: InstantInput.optional().describe('Created before this instant.'),
  ...pageInput,
});
export const ListTicketsOutput = pageOutput(TicketView);

export const UpdateTicketInput = z.strictObject({
  id: Id.describe('The ticket id.'),
  subject: z.string().trim().min(1).max(200).optional(),
  description: z.string().trim().max(10_000).nullable().optional(),
  status: Status.optional(),
  priority: Priority.optional(),
  category: Category.optional(),
  assignee: Assignee.nullable().optional().describe('null unassigns.'),
});

export const AddTicketNoteInput = z.strictObject({
  id: Id.describe('The ticket id.'),
  body: z.string().trim().min(1).max(10_000).describe('The note.'),
});
