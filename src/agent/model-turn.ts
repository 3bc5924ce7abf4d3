import { generateText, stepCountIs, type ModelMessage, type ToolSet } from 'ai';
import type { AgentModel } from './model.js';

/** One step of a turn, as stored for staff to review. */
export type TurnStep = {
  text: string;
  toolCalls: { tool: string; input: unknown }[];
  toolResults: { tool: string; output: unknown }[];
};

/**
 * The model's side of a turn: the AI SDK tool loop, bounded by the step limit and the time limit.
 * Throws when the model fails or runs out of time (the turn falls back to guided mode). Tools that
 * already ran are not undone: their writes were committed by the runner, each on its own.
 */
export async function modelTurn(options: { agent: AgentModel; system: string; messages: ModelMessage[]; tools: ToolSet }): Promise<{ text: string; steps: TurnStep[] }> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`the model did not answer within ${options.agent.timeoutMs} ms`)), options.agent.timeoutMs);
  // The signal stops well-behaved providers; the race stops the turn even when one ignores it.
  const timedOut = new Promise<never>((_, reject) => deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason as Error), { once: true }));
  try {
    const result = await Promise.race([
      generateText({
        model: options.agent.model,
        system: options.system,
        messages: options.messages,
        tools: options.tools,
        stopWhen: stepCountIs(options.agent.maxSteps),
        abortSignal: deadline.signal,
        maxRetries: 1,
      }),
      timedOut,
    ]);
    const steps = result.steps.map((step) => ({
      text: step.text,
      toolCalls: step.toolCalls.map((call) => ({ tool: call.toolName, input: call.input })),
      toolResults: step.toolResults.map((toolResult) => ({ tool: toolResult.toolName, output: toolResult.output })),
    }));
    return { text: result.text.trim(), steps };
  } finally {
    clearTimeout(timer);
  }
}
