import type { FieldIssue } from '../errors.js';

/**
 * What every call's input must be before any schema reads it, whatever the door: text PostgreSQL can
 * store (no NUL, no lone UTF-16 surrogate, in values and in field names), no field names that reach
 * into JavaScript's object machinery, and no deeper than any real input. Checked without recursion,
 * so a 10,000-level document is refused, not a stack overflow.
 */

/** Deeper than any input of ours (the deepest is about 4): past this, the input is refused. */
export const MAX_INPUT_DEPTH = 32;
/** Field names refused everywhere: merged into a plain object they change its prototype. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Problems reported at most: a refusal names the first few, not ten thousand. */
const MAX_ISSUES = 10;

/** A high surrogate with no low one after it, or a low one with no high one before it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** Why PostgreSQL would refuse this text, if it would. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate: not valid Unicode text';
  return undefined;
}

/** The text with what PostgreSQL refuses replaced by U+FFFD: for logging what was refused, and for a patient's message. */
export const storableText = (text: string): string => text.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATES, '\uFFFD');

/**
 * The text cut to at most `max` UTF-16 units without cutting a surrogate pair in two: `slice` alone
 * can leave half an emoji at the end, a lone surrogate that no input schema accepts.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, cut);
}

const pathOf = (path: readonly (string | number)[]): string => path.map((part) => (typeof part === 'string' ? storableText(part) : String(part))).join('.') || '(input)';

/** The input's problems, by field: empty when it may go on to the schema. */
export function inputTextProblems(input: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value: input, path: [] }];
  while (pending.length > 0 && issues.length < MAX_ISSUES) {
    const { value, path } = pending.pop() as (typeof pending)[number];
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) issues.push({ path: pathOf(path), message: problem });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_INPUT_DEPTH) {
      issues.push({ path: pathOf(path), message: `nested deeper than ${MAX_INPUT_DEPTH} levels` });
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => pending.push({ value: item, path: [...path, index] }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = textProblem(key) ?? (RESERVED_KEYS.has(key) ? 'is not an allowed field name' : undefined);
      if (keyProblem) issues.push({ path: pathOf([...path, key]), message: `the field name ${keyProblem}` });
      else pending.push({ value: item, path: [...path, key] });
    }
  }
  return issues;
}
