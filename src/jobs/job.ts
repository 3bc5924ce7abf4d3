import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const jobStatuses = ['pending', 'running', 'succeeded', 'failed'] as const;

/**
 * Work to do after a commit: written in the same transaction as the change that asks for it, so
 * acknowledged work survives a crash. Jobs with the same `serialKey` run one at a time, oldest first
 * (one conversation's messages are answered in order). Not tenant-filtered: the worker serves every
 * tenant and runs each job in its own tenant's context.
 */
export const Job = defineEntity({
  name: 'Job',
  tableName: 'job',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    kind: p.string(),
    payload: p.json<Record<string, unknown>>(),
    serialKey: p.string().nullable(),
    status: p.enum([...jobStatuses]),
    attempts: p.integer(),
    maxAttempts: p.integer(),
    runAt: p.datetime(),
    lockedUntil: p.datetime().nullable(),
    lastError: p.text().nullable(),
    createdAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
  },
});
export type Job = InferEntity<typeof Job>;
