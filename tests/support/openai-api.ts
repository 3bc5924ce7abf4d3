import { setTimeout as sleep } from 'node:timers/promises';
import { Hono } from 'hono';
import { listen } from './http-server.js';

export type ChatRequest = {
  model: string;
  messages: { role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }[];
  tools?: { type: 'function'; function: { name: string; description: string; parameters: Record<string, unknown> } }[];
};

export type ScriptedAnswer =
  | { toolCalls: { name: string; arguments: Record<string, unknown> }[] }
  | { content: string }
  | { status: 500 | 429 }
  | { delayMs: number; then: ScriptedAnswer };

/**
 * A loopback server that speaks OpenAI's chat-completions API (what Ollama, vLLM and LM Studio speak
 * too), reached by the real @ai-sdk/openai provider through OPENAI_BASE_URL.
 */
export async function startOpenAiApi(script: (request: ChatRequest, call: number) => ScriptedAnswer, options: { keepRequests?: boolean } = {}) {
  /** Every request, for tests to inspect; the bench counts them instead (thousands of 15 KB bodies). */
  const requests: ChatRequest[] = [];
  let calls = 0;
  const app = new Hono();
  app.post('/v1/chat/completions', async (c) => {
    const request = (await c.req.json()) as ChatRequest;
    if (options.keepRequests !== false) requests.push(request);
    const call = calls++;
    let answer = script(request, call);
    while ('delayMs' in answer) {
      await sleep(answer.delayMs);
      answer = answer.then;
    }
    if ('status' in answer) return c.json({ error: { message: 'scripted failure', type: 'server_error' } }, answer.status);
    const message =
      'toolCalls' in answer
        ? {
            role: 'assistant',
            content: null,
            tool_calls: answer.toolCalls.map((toolCall, index) => ({ id: `call_${call + 1}_${index}`, type: 'function', function: { name: toolCall.name, arguments: JSON.stringify(toolCall.arguments) } })),
          }
        : { role: 'assistant', content: answer.content };
    return c.json({
      id: `chatcmpl-${call + 1}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [{ index: 0, message, finish_reason: 'toolCalls' in answer ? 'tool_calls' : 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
  });
  const server = await listen(app.fetch);
  return { baseUrl: `${server.url}/v1`, requests, calls: () => calls, close: server.close };
}
