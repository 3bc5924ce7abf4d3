import type { Services, TenantInfo } from '../../context.js';
import { DomainEvent, eventRows } from '../../events.js';
import { insertRows, oneStatement } from '../../db/statement.js';
import { newId } from '../../ids.js';
import { Job } from '../../jobs/job.js';
import type { CommunicationStatus } from './entities.js';
import { moveStatus, recordReport } from './statements.js';

export type ProviderReport = {
  communicationId: string;
  /** The provider's id for it, bound when the communication has none yet (a delivery interrupted before it was stored). */
  channelMessageId: string | null;
  /** Ours, mapped from the provider's word by its adapter. */
  status: CommunicationStatus;
  providerStatus: string;
  error: string | null;
};

/**
 * A provider's report on a communication: kept (once per communication and status), and applied to
 * the current status only forward (src/modules/communications/status-order.ts). When it moved, a
 * `communication.status_changed` event says so. One transaction.
 */
export async function applyProviderReport(services: Services, tenant: TenantInfo, report: ProviderReport): Promise<{ moved: boolean }> {
  const now = services.clock.now();
  const applied = await services.sql.transaction(async (sql) => {
    const statement = oneStatement(
      [recordReport(services.orm, { id: newId(), tenantId: tenant.id, communicationId: report.communicationId, status: report.status, providerStatus: report.providerStatus, error: report.error, reportedAt: now, createdAt: now, updatedAt: now })],
      moveStatus({ tenantId: tenant.id, communicationId: report.communicationId, status: report.status, channelMessageId: report.channelMessageId, error: report.error, now }),
    );
    const moved = (await sql.query<{ id: string }>(statement)).length > 0;
    if (moved) {
      const event = eventRows(tenant.id, { type: 'communication.status_changed', entityType: 'communication', entityId: report.communicationId, payload: { status: report.status } }, now);
      await sql.query(oneStatement(event.jobs.length > 0 ? [insertRows(services.orm, Job, event.jobs)] : [], insertRows(services.orm, DomainEvent, [event.event])));
    }
    return { moved };
  });
  if (applied.moved) services.jobs.nudge(); // the event's subscribers, if any
  return applied;
}
