import { toIso, toIsoOrNull } from '../../schema.js';
import type { CommunicationStatus } from '../communications/entities.js';
import type { Notification } from './entities.js';
import type { NotificationStatus, NotificationView } from './schema.js';

/** The status staff see: the notification's state until dispatched, then its communication's. */
export function derivedStatus(notification: Pick<Notification, 'state'>, communicationStatus: CommunicationStatus): NotificationStatus {
  if (notification.state !== 'dispatched') return notification.state;
  // An outbound communication is never `received`; were it so, it would read as not yet sent.
  return communicationStatus === 'received' ? 'queued' : communicationStatus;
}

export const notificationView = (notification: Notification, communicationStatus: CommunicationStatus): NotificationView => ({
  id: notification.id,
  patientId: notification.patientId,
  channel: notification.channel,
  purpose: notification.purpose,
  status: derivedStatus(notification, communicationStatus),
  state: notification.state,
  skipReason: notification.skipReason ?? null,
  communicationId: notification.communicationId,
  template: notification.templateId && notification.templateVersion ? { id: notification.templateId, version: notification.templateVersion } : null,
  appointmentId: notification.appointmentId ?? null,
  sendAt: toIso(notification.sendAt),
  dedupeKey: notification.dedupeKey ?? null,
  batchId: notification.batchId ?? null,
  dispatchedAt: toIsoOrNull(notification.dispatchedAt),
  createdAt: toIso(notification.createdAt),
  updatedAt: toIso(notification.updatedAt),
});
