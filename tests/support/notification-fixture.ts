import { expect } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { API } from './clinic-fixture.js';
import type { Harness, TestTenant } from './harness.js';

/** Helpers for the notifications tests: templates, consent, and reading what was stored. */

export type NotificationBody = {
  id: string;
  status: string;
  state: string;
  skipReason: string | null;
  communicationId: string;
  sendAt: string;
  dispatchedAt: string | null;
  batchId: string | null;
  deduplicated?: boolean;
};
export type NotificationDetailBody = NotificationBody & {
  communication: { id: string; conversationId: string; status: string; body: string; error: string | null; createdAt: string; contact: string; channel: string };
};

/** A template created and published by staff. */
export async function publishTemplate(clinic: TestTenant, template: Record<string, unknown>): Promise<{ id: string }> {
  const created = await clinic.call<{ id: string }>('POST', `${API}/templates`, { locale: 'en', ...template });
  await clinic.call('POST', `${API}/templates/${created.id}/publish`);
  return created;
}

export const WHATSAPP_CONTENT_SID = `HX${'a1'.repeat(16)}`;

/** The patient agrees to be contacted on the channel for the purpose. */
export const grantConsent = (clinic: TestTenant, patientId: string, channel: string, purpose = 'care_messages') =>
  clinic.call('POST', `${API}/patients/${patientId}/consents`, { channel, purpose });

/** A manager on the clinic's tenant. */
export function tenantEm(harness: Harness, clinic: TestTenant): EntityManager {
  const em = harness.services.orm.em.fork();
  em.setFilterParams('tenant', { tenantId: clinic.tenant.id });
  return em;
}

/** Rows of the clinic in a table. */
export async function countRows(harness: Harness, clinic: TestTenant, table: string): Promise<number> {
  const [row] = await harness.services.orm.em.fork().getConnection().execute<{ count: string }[]>(`select count(*) from ${table} where tenant_id = ?`, [clinic.tenant.id]);
  return Number(row.count);
}

/** Expects an error answer with the status and a field named in its issues. */
export async function expectRefusal(response: Response, status: number, field?: string): Promise<{ code: string; message: string; issues?: { path: string }[]; details?: Record<string, unknown> }> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  const { error } = JSON.parse(text) as { error: { code: string; message: string; issues?: { path: string }[]; details?: Record<string, unknown> } };
  if (field) expect(error.issues?.map((issue) => issue.path), text).toContain(field);
  return error;
}

/**
 * Runs the clinic's due jobs every few milliseconds until `done` holds, checking `meanwhile` before
 * each run. A job is claimed here as soon as it is due, rather than waiting unclaimed for a while,
 * where the worker another test file may have started (it serves every tenant) could take it.
 */
export async function drainUntil(
  harness: Harness,
  clinic: TestTenant,
  done: () => Promise<boolean> | boolean,
  options: { timeoutMs?: number; meanwhile?: () => Promise<void> | void } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    await options.meanwhile?.();
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    if (await done()) return;
    if (Date.now() > deadline) throw new Error('drainUntil: timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
