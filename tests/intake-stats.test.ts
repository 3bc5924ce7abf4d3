import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, expectError } from './appointments-fixtures.js';
import { API } from './support/clinic-fixture.js';
import { createHarness, type Harness } from './support/harness.js';
import { completeAnswers, intakeClinic, openSession, SESSIONS, upsert } from './support/intake-fixture.js';

let harness: Harness;

beforeAll(async () => {
  harness = await createHarness();
});
afterAll(() => harness.close());

describe('stats', () => {
  it('counts sessions by status, records by kind and summaries by state and source', async () => {
    const { clinic: own, patient } = await intakeClinic(harness);
    const open = await openSession(own, patient.id);
    await upsert(own, open.id, [{ clientItemId: 'n', kind: 'note', data: { text: 'x' } }]);
    const submitted = await openSession(own, patient.id);
    await upsert(own, submitted.id, completeAnswers());
    await own.call('POST', `${SESSIONS}/${submitted.id}/submit`, {});
    const stats = await own.call<Record<string, unknown>>('GET', `${API}/intake/stats`);
    expect(stats).toEqual({
      total: 2,
      byStatus: { open: 1, submitted: 1, reviewed: 0 },
      recordsByKind: { chief_complaint: 1, symptom: 1, allergy: 0, no_known_allergies: 1, medication: 1, no_medications: 0, condition: 0, family_history: 0, social_history: 0, note: 1 },
      summariesByState: { pending: 1, written: 0, edited: 0 },
      summariesBySource: { model: 0, records: 0 },
      averageRecordsPerSession: 2.5,
    });
    await harness.services.jobs.drain({ tenantId: own.tenant.id });
    const later = await own.call<{ summariesBySource: Record<string, number> }>('GET', `${API}/intake/stats`);
    expect(later.summariesBySource).toEqual({ model: 0, records: 1 });
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await own.call('GET', `${API}/intake/stats?createdSince=${future}`)).toMatchObject({ total: 0, averageRecordsPerSession: 0 });
    await expectError(await own.request('GET', `${API}/intake/stats`, { key: own.keys.agent }), 403);
    expect(await countRows(harness, own, 'intake_summary')).toBe(1);
  });
});
