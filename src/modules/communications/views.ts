import { toIso, toIsoOrNull } from '../../schema.js';
import type { Conversation } from '../conversations/entities.js';
import type { Communication, CommunicationStatusReport } from './entities.js';
import type { CommunicationView, MessageView } from './schema.js';

export const messageView = (communication: Communication): MessageView => ({
  id: communication.id,
  conversationId: communication.conversationId,
  direction: communication.direction,
  author: { kind: communication.authorKind, id: communication.authorId ?? null },
  body: communication.body,
  media: communication.media,
  channelMessageId: communication.channelMessageId ?? null,
  status: communication.status,
  error: communication.error ?? null,
  createdAt: toIso(communication.createdAt),
  sentAt: toIsoOrNull(communication.sentAt),
  deliveredAt: toIsoOrNull(communication.deliveredAt),
});

export const communicationView = (communication: Communication, conversation: Pick<Conversation, 'channel' | 'contact' | 'patientId'>): CommunicationView => ({
  ...messageView(communication),
  channel: conversation.channel,
  contact: conversation.contact,
  patientId: conversation.patientId ?? null,
});

export const statusReportView = (report: CommunicationStatusReport) => ({
  status: report.status,
  providerStatus: report.providerStatus,
  error: report.error ?? null,
  reportedAt: toIso(report.reportedAt),
});
