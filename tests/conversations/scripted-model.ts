import type { ChatRequest, ScriptedAnswer } from '../support/openai-api.js';
import type { ModelStep } from './case-format.js';

/** What the scripted model was asked in one turn, and what went against its script. */
/** `played`: the script's steps the model answered with, in order. */
export type ModelTurnRecord = { scripted: boolean; requests: ChatRequest[]; played: ModelStep[]; problems: string[] };

/**
 * The model of model mode: plays each turn's script back over the OpenAI-compatible stand-in, one
 * step per chat-completions request (a tool call, then the next, then the reply), and keeps what the
 * agent sent it. Asked once more than scripted, or not as often, the turn fails: it says so.
 */
export function scriptedModel() {
  let steps: ModelStep[] = [];
  let record: ModelTurnRecord = { scripted: false, requests: [], played: [], problems: [] };
  return {
    /** The script of the next turn (undefined: the model should not be asked). */
    load(script: ModelStep[] | undefined): void {
      steps = [...(script ?? [])];
      record = { scripted: script !== undefined, requests: [], played: [], problems: [] };
    },
    /** The stand-in's answer to one request. */
    answer(request: ChatRequest): ScriptedAnswer {
      record.requests.push(request);
      const step = steps.shift();
      if (!step) {
        record.problems.push(record.scripted ? 'the model was asked once more than its script answers' : 'the model was asked, but the turn gives it no script');
        return { content: '(no scripted answer)' };
      }
      record.played.push(step);
      return 'call' in step ? { toolCalls: [{ name: step.call, arguments: step.input }] } : { content: step.reply };
    },
    /** The turn's record, once it has run. */
    finish(): ModelTurnRecord {
      const unused = steps.length > 0 ? [`${steps.length} step(s) of the model's script were never asked for`] : [];
      return { ...record, problems: [...record.problems, ...unused] };
    },
  };
}
export type ScriptedModel = ReturnType<typeof scriptedModel>;

/**
 * What the agent told the model in a request: the prompt, the conversation and the tools' results.
 * The model's own tool calls are left out: what it asked for is not what it was shown.
 */
export function requestText(request: ChatRequest): string {
  return request.messages.map((message) => message.content ?? '').join('\n');
}
