import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentModelFromConfig } from '../src/agent/model.js';
import { loadConfig } from '../src/config.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { completeAnswers, intakeClinic, openSession, SESSIONS, upsert, type SessionDetail, type Summary } from './support/intake-fixture.js';
import { startOpenAiApi, type ChatRequest, type ScriptedAnswer } from './support/openai-api.js';

let harness: Harness;
let clinic: TestTenant;
let patientId: string;
let openAi: Awaited<ReturnType<typeof startOpenAiApi>>;
let script: (request: ChatRequest) => ScriptedAnswer = () => ({ status: 500 });

beforeAll(async () => {
  openAi = await startOpenAiApi((request) => script(request));
  const config = { OPENAI_BASE_URL: openAi.baseUrl, PRM_MODEL: 'local-summary-model', PRM_MODEL_TIMEOUT_MS: '5000' };
  harness = await createHarness({ config, agentModel: agentModelFromConfig(loadConfig(config)) });
  ({ clinic, patient: { id: patientId } } = await intakeClinic(harness));
});
afterAll(async () => {
  await openAi.close();
  await harness.close();
});

/** A submitted session, summarized by the job; its records by clientItemId. */
async function summarized(): Promise<{ summary: Summary; idOf: (clientItemId: string) => string; request: ChatRequest | undefined }> {
  const session = await openSession(clinic, patientId);
  expect((await upsert(clinic, session.id, completeAnswers())).status).toBe(200);
  await clinic.call('POST', `${SESSIONS}/${session.id}/submit`, {});
  const before = openAi.requests.length;
  await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
  const detail = await clinic.call<SessionDetail>('GET', `${SESSIONS}/${session.id}`);
  const ids = new Map(detail.records.map((record) => [record.clientItemId, record.id]));
  return { summary: detail.summary as Summary, idOf: (clientItemId) => ids.get(clientItemId) ?? '', request: openAi.requests[before] };
}

/** The record ids the job showed the model, from the prompt. */
const promptedIds = (request: ChatRequest): string[] => [...JSON.stringify(request.messages).matchAll(/\\"id\\":\\"([0-9a-f-]{36})\\"/g)].map((match) => match[1]);

describe('the intake summary with a language model', () => {
  it('keeps the model’s cited statements and drops an invented one citing nothing, or ids that are not the session’s records', async () => {
    script = (request) => {
      const [complaint, symptom, allergies] = promptedIds(request);
      return {
        content: JSON.stringify({
          statements: [
            { text: 'Headaches for two weeks, moderate (6/10), frontal.', recordIds: [complaint, symptom] },
            { text: 'No known allergies.', recordIds: [allergies] },
            { text: 'Family history of migraine.', recordIds: [] },
            { text: 'Recent head injury.', recordIds: ['0190f5e1-0000-7000-8000-000000000000'] },
            { text: 'Takes warfarin.', recordIds: [complaint, 'not-a-record'] },
          ],
        }),
      };
    };
    const { summary, idOf, request } = await summarized();
    expect(summary).toMatchObject({ state: 'written', source: 'model', model: 'local-summary-model', droppedStatements: 3, fallbackReason: null });
    expect(summary.statements).toEqual([
      { text: 'Headaches for two weeks, moderate (6/10), frontal.', recordIds: [idOf('complaint'), idOf('symptom-1')] },
      { text: 'No known allergies.', recordIds: [idOf('allergies')] },
    ]);
    expect(JSON.stringify(summary)).not.toMatch(/migraine|head injury|warfarin/);
    // Structured output: the job asked for a JSON schema, and showed the model every record with its id.
    const body = request as unknown as { response_format?: { type: string; json_schema?: { schema?: { properties?: object } } } };
    expect(body.response_format?.type).toBe('json_schema');
    expect(body.response_format?.json_schema?.schema?.properties).toHaveProperty('statements');
    expect(promptedIds(request as ChatRequest)).toEqual(['complaint', 'symptom-1', 'allergies', 'medication-1'].map(idOf));
  });

  it('summarizes from the records, saying why, when the model fails or cites nothing', async () => {
    script = () => ({ status: 500 });
    const failed = await summarized();
    expect(failed.summary).toMatchObject({ state: 'written', source: 'records', model: 'local-summary-model', fallbackReason: expect.stringContaining('the model failed') });
    expect(failed.summary.statements).toHaveLength(4);
    expect(failed.summary.statements.every((statement) => statement.recordIds.length === 1)).toBe(true);

    script = () => ({ content: JSON.stringify({ statements: [{ text: 'The patient is fine.', recordIds: [] }] }) });
    const uncited = await summarized();
    expect(uncited.summary).toMatchObject({ source: 'records', droppedStatements: 1, fallbackReason: 'none of the model’s 1 statements cited a record of the session' });
    expect(uncited.summary.statements[0]).toEqual({ text: 'Chief complaint: Headaches for two weeks.', recordIds: [uncited.idOf('complaint')] });
  });
});
