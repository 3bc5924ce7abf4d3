import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentModelFromConfig } from '../src/agent/model.js';
import { loadConfig } from '../src/config.js';
import { openClinic } from './support/clinic-fixture.js';
import { patientOn } from './support/conversation-driver.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { startOpenAiApi, type ChatRequest, type ScriptedAnswer } from './support/openai-api.js';

let harness: Harness;
let clinic: TestTenant;
let script: (request: ChatRequest, call: number) => ScriptedAnswer = () => ({ content: 'unset' });
let openAi: Awaited<ReturnType<typeof startOpenAiApi>>;

beforeAll(async () => {
  openAi = await startOpenAiApi((request, call) => script(request, call));
  const config = { OPENAI_BASE_URL: openAi.baseUrl, PRM_MODEL: 'local-test-model', PRM_MODEL_TIMEOUT_MS: '3000' };
  harness = await createHarness({ config, agentModel: agentModelFromConfig(loadConfig(config)) });
  clinic = await harness.newTenant({ name: 'Harbor Family Clinic' });
  await openClinic(harness, clinic, { twilio: false });
});
afterAll(async () => {
  await openAi.close();
  await harness.close();
});

describe('the model loop over an OpenAI-compatible chat-completions server', () => {
  it('sends the prompt and the patient-facing tools, runs the tool the model asks for, and replies', async () => {
    const start = openAi.requests.length;
    script = (_request, call) => (call === start ? { toolCalls: [{ name: 'get_clinic_info', arguments: {} }] } : { content: 'We are at Harbor Street. How else can I help?' });
    const { reply, turn } = await patientOn(harness, clinic, '+12125550501').say('where are you?');
    expect(reply).toBe('We are at Harbor Street. How else can I help?');
    expect(turn).toMatchObject({ mode: 'model', model: 'local-test-model' });

    const [first, second] = openAi.requests.slice(start);
    expect(first.model).toBe('local-test-model');
    expect(first.messages[0]).toMatchObject({ role: 'system' });
    expect(first.messages[0].content).toContain('Harbor Family Clinic');
    expect(first.messages.at(-1)).toMatchObject({ role: 'user', content: 'where are you?' });
    const tools = new Map(first.tools?.map((tool) => [tool.function.name, tool.function]));
    expect([...tools.keys()]).toEqual(expect.arrayContaining(['verify_identity', 'search_slots', 'book_appointment', 'cancel_appointment', 'handoff_to_staff', 'get_clinic_info']));
    expect([...tools.keys()]).not.toContain('list_tool_runs');
    expect([...tools.keys()]).not.toContain('delete_patient');
    // The runner fills these in: the model cannot even name them.
    expect(Object.keys((tools.get('book_appointment')?.parameters as { properties: object }).properties)).not.toContain('patientId');
    expect(Object.keys((tools.get('verify_identity')?.parameters as { properties: object }).properties)).not.toContain('conversationId');
    // Formats in a word, not zod's regexes (about a thousand tokens per call).
    expect((tools.get('cancel_appointment')?.parameters as { properties: Record<string, object> }).properties.id).toMatchObject({ format: 'uuid' });
    expect(JSON.stringify(first.tools)).not.toMatch(/"format":"[^"]+","pattern"/);
    // The tool's result went back to the model.
    expect(second.messages.find((message) => message.role === 'tool')?.content).toContain('Harbor Family Clinic');
  });

  it('falls back to guided mode when the server fails', async () => {
    script = () => ({ status: 500 });
    const { reply, turn } = await patientOn(harness, clinic, '+12125550502').say('hello');
    expect(reply).toBeTruthy();
    expect(turn.mode).toBe('guided');
    expect(turn.fallbackReason).toContain('model failed');
  });
});
