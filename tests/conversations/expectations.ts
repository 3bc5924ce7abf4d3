import { isDeepStrictEqual } from 'node:util';
import type { Expectations, ModelTurn, ToolExpectation } from './case-format.js';
import type { AgentTurnRecord, ToolRunRecord } from './clinic-line.js';
import { requestText, type ModelTurnRecord } from './scripted-model.js';

/** What happened in one turn, as the runner saw it: what was sent back, what ran, how the agent answered. */
export type TurnRecord = {
  /** What started the turn, for the transcript ("patient: hello"). */
  action: string;
  replies: string[];
  runs: ToolRunRecord[];
  agentTurn: AgentTurnRecord | null;
  model: ModelTurnRecord | null;
  /** What went wrong on the way (the webhook refused, the model asked off script). */
  problems: string[];
};

/** A string to find, or /a regular expression/flags. */
function matcher(pattern: string): { test(text: string): boolean; label: string } {
  const regex = pattern.match(/^\/(.+)\/([a-z]*)$/s);
  if (regex) {
    const compiled = new RegExp(regex[1], regex[2]);
    return { test: (text) => compiled.test(text), label: pattern };
  }
  return { test: (text) => text.includes(pattern), label: JSON.stringify(pattern) };
}

function textChecks(what: string, text: string, must: string[] = [], mustNot: string[] = []): string[] {
  return [
    ...must.map(matcher).filter((pattern) => !pattern.test(text)).map((pattern) => `${what} does not contain ${pattern.label}`),
    ...mustNot.map(matcher).filter((pattern) => pattern.test(text)).map((pattern) => `${what} contains ${pattern.label}, which it must not`),
  ];
}

/** Whether `actual` has every field of `expected` (deeply, arrays element by element). */
function hasFields(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((item, index) => hasFields(actual[index], item));
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([key, value]) => hasFields((actual as Record<string, unknown>)[key], value));
  }
  return isDeepStrictEqual(actual, expected);
}

const statusMatches = (run: ToolRunRecord, status: 'ok' | 'refused' | undefined) =>
  status === undefined || (status === 'ok' ? run.status === 'succeeded' : run.status !== 'succeeded');

const runMatches = (run: ToolRunRecord, expected: ToolExpectation) =>
  run.tool === expected.name &&
  statusMatches(run, 'status' in expected ? expected.status : undefined) &&
  (!('error' in expected) || expected.error === undefined || run.errorCode === expected.error) &&
  (!('input' in expected) || expected.input === undefined || hasFields(run.input, expected.input));

export const describeRun = (run: ToolRunRecord) => `${run.tool} ${run.status}${run.errorCode ? ` (${run.errorCode})` : ''} ${JSON.stringify(run.input)}`;

function toolChecks(runs: ToolRunRecord[], expected: ToolExpectation[] = [], forbidden: Expectations['no_tools']): string[] {
  const unused = [...runs];
  const missing = expected.filter((tool) => {
    const index = unused.findIndex((run) => runMatches(run, tool));
    if (index >= 0) unused.splice(index, 1);
    return index < 0;
  });
  const ran = runs.length === 0 ? 'no tool ran' : `the runs were: ${runs.map(describeRun).join('; ')}`;
  return [
    ...missing.map((tool) => `no tool run matches ${JSON.stringify(tool)} (${ran})`),
    ...(forbidden === '*' && runs.length > 0 ? [`no tool should have run, but ${runs.map(describeRun).join('; ')}`] : []),
    ...(Array.isArray(forbidden) ? runs.filter((run) => forbidden.includes(run.tool)).map((run) => `${run.tool} must not run, but it did: ${describeRun(run)}`) : []),
  ];
}

/**
 * The failures of a turn against its blocks of expectations (the turn's own and its mode's, references
 * already resolved). Something must have been sent back, unless a block says `no_reply`.
 */
export function checkExpectations(blocks: Expectations[], record: TurnRecord): string[] {
  const reply = record.replies.join('\n');
  const silent = blocks.some((block) => block.no_reply === true);
  const sent = silent
    ? record.replies.length > 0
      ? [`nothing should have been sent back, but the clinic sent ${JSON.stringify(reply)}`]
      : []
    : record.replies.length === 0
      ? ['nothing was sent back']
      : blocks.flatMap((block) => textChecks('the reply', reply, block.contains, block.not_contains));
  return [...sent, ...blocks.flatMap((block) => toolChecks(record.runs, block.tools, block.no_tools))];
}

/**
 * Model mode's own checks: the script was played out in full, a turn the model was asked in was
 * answered by it (not by guided mode after a failure), and what the model was sent.
 */
export function checkModelTurn(turn: ModelTurn | undefined, record: TurnRecord): string[] {
  const model = record.model;
  if (!model) return [];
  const sent = model.requests.map(requestText).join('\n');
  const answeredByModel =
    model.scripted && model.requests.length > 0 && record.agentTurn?.mode !== 'model'
      ? [`the model was scripted, but the turn was answered in ${record.agentTurn?.mode ?? 'no'} mode${record.agentTurn?.fallbackReason ? ` (${record.agentTurn.fallbackReason})` : ''}`]
      : [];
  return [...model.problems, ...answeredByModel, ...textChecks('what the model was sent', sent, turn?.shown, turn?.never_shown)];
}
