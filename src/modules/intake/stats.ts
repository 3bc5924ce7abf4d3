import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { ormSql } from '../../db/sql.js';
import { intakeStatuses, recordKinds, summarySources, summaryStates } from './entities.js';
import type { IntakeStatsInput, IntakeStatsOutput } from './schema.js';
import { intakeCounts, type CountRow } from './statements.js';

const zeros = <Key extends string>(keys: readonly Key[]) => Object.fromEntries(keys.map((key) => [key, 0])) as Record<Key, number>;

/** Sessions by status, their records by kind, their summaries by state and source; optionally of sessions created in a range. */
export async function intakeStats(ctx: AppContext, input: z.output<typeof IntakeStatsInput>): Promise<z.input<typeof IntakeStatsOutput>> {
  const rows = await ormSql(ctx.em).query<CountRow>(
    intakeCounts({
      tenantId: ctx.tenant.id,
      since: input.createdSince ? new Date(input.createdSince) : undefined,
      until: input.createdUntil ? new Date(input.createdUntil) : undefined,
    }),
  );
  const counts = {
    status: zeros(intakeStatuses),
    kind: zeros(recordKinds),
    summaryState: zeros(summaryStates),
    summarySource: zeros(summarySources),
  };
  for (const row of rows) {
    const dimension: Record<string, number> = counts[row.dimension];
    dimension[row.key] += Number(row.count);
  }
  const total = Object.values(counts.status).reduce((sum, count) => sum + count, 0);
  const records = Object.values(counts.kind).reduce((sum, count) => sum + count, 0);
  return {
    total,
    byStatus: counts.status,
    recordsByKind: counts.kind,
    summariesByState: counts.summaryState,
    summariesBySource: counts.summarySource,
    averageRecordsPerSession: total === 0 ? 0 : Math.round((records / total) * 100) / 100,
  };
}
