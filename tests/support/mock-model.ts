import { MockLanguageModelV3 } from 'ai/test';
import type { AgentModel } from '../../src/agent/model.js';

type Result = Exclude<ConstructorParameters<typeof MockLanguageModelV3>[0], undefined>['doGenerate'];
type GenerateResult = Extract<Result, { content: unknown }>;

const usage = { inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 5, text: 5, reasoning: 0 } };

/** A model answer that calls one tool. */
export const toolCall = (toolName: string, input: Record<string, unknown>, id = `call-${toolName}`): GenerateResult => ({
  content: [{ type: 'tool-call', toolCallId: id, toolName, input: JSON.stringify(input) }],
  finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
  usage,
  warnings: [],
});

/** A model answer in plain text. */
export const text = (value: string): GenerateResult => ({
  content: [{ type: 'text', text: value }],
  finishReason: { unified: 'stop', raw: 'stop' },
  usage,
  warnings: [],
});

/** The AI SDK's own mock model answering with `results`, one per call, as the agent's model. */
export function scriptedModel(results: GenerateResult[] | ((call: number) => Promise<GenerateResult>), options: { timeoutMs?: number } = {}) {
  let calls = 0;
  const model = new MockLanguageModelV3({
    modelId: 'scripted',
    doGenerate: async () => {
      const call = calls++;
      if (typeof results === 'function') return results(call);
      const result = results[call];
      if (!result) throw new Error(`The scripted model has no answer number ${call + 1}`);
      return result;
    },
  });
  const agent: AgentModel = { model, id: 'scripted', timeoutMs: options.timeoutMs ?? 5_000, maxSteps: 6 };
  return { agent, model, calls: () => calls };
}
