import { createOpenAI } from '@ai-sdk/openai';
import type { LanguageModel } from 'ai';
import type { Config } from '../config.js';
import { modelFetch } from './model-fetch.js';

export type AgentModel = { model: LanguageModel; id: string; timeoutMs: number; maxSteps: number };

/**
 * The configured language model, or undefined (guided mode only). Always the chat-completions API:
 * OpenAI has it, and so do the OpenAI-compatible servers (Ollama, vLLM, LM Studio) that
 * OPENAI_BASE_URL points at; most of them lack the newer Responses API.
 */
export function agentModelFromConfig(config: Config): AgentModel | undefined {
  if (!config.model) return undefined;
  const provider = createOpenAI({ apiKey: config.model.apiKey ?? 'not-needed', baseURL: config.model.baseUrl, fetch: modelFetch });
  return { model: provider.chat(config.model.id), id: config.model.id, timeoutMs: config.model.timeoutMs, maxSteps: config.model.maxSteps };
}
