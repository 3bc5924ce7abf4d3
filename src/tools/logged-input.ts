import { createHash } from 'node:crypto';
import { z } from 'zod';
import { MAX_INPUT_DEPTH, storableText } from './input-text.js';
import type { Operation } from './operation.js';

/**
 * A call's input as the run log keeps it. Secrets never: a field the operation declares `writeOnly`
 * (see `Secret`) and any field, at any depth, whose name says it holds one (an `?api_key=` sent where
 * none belongs) is replaced by "[redacted]". Text is made storable and depth bounded, so a refusal of
 * hostile input can always be logged. A refused or failed call's input past a few kilobytes is kept
 * as a prefix with its size and hash: a 10 MB refusal costs kilobytes.
 */

/** A secret in input: never logged, and marked `writeOnly` in the tool's JSON Schema. */
export const Secret = z.string().meta({ writeOnly: true });

/**
 * A secret in an answer (a webhook endpoint's signing secret): the caller sees it in this answer only.
 * The run log keeps "[redacted]", so a replay by idempotency key does not show it again either.
 */
export const ShownOnce = z.string().meta({ readOnly: true, 'x-shown-once': true });

/** Names of fields that hold a secret wherever they appear. */
export const SECRET_NAME = /pass(word|phrase)?$|secret|token|api[-_]?key|authorization|credential|private[-_]?key/i;
export const REDACTED = '[redacted]';
/** A refused or failed call's input, as JSON, is kept whole up to this many characters. */
export const MAX_LOGGED_REFUSAL = 4_096;
const PREFIX_CHARACTERS = 2_048;

const declaredSecrets = new WeakMap<Operation, ReadonlySet<string>>();
const shownOnceFields = new WeakMap<Operation, ReadonlySet<string>>();

/** The schema inside optional/nullable/default wrappers, where `.meta()` was put. */
function unwrapped(schema: z.ZodType): z.ZodType {
  let current = schema;
  while ('unwrap' in current && typeof current.unwrap === 'function' && !z.globalRegistry.get(current)?.writeOnly) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** The operation's input fields declared secret (`writeOnly`); read once per operation. */
function secretFields(operation: Operation | undefined): ReadonlySet<string> {
  if (!operation) return new Set();
  let known = declaredSecrets.get(operation);
  if (!known) {
    const shape = operation.input.shape as Record<string, z.ZodType>;
    known = new Set(Object.keys(shape).filter((key) => z.globalRegistry.get(unwrapped(shape[key]))?.writeOnly === true));
    declaredSecrets.set(operation, known);
  }
  return known;
}

/** The operation's output fields declared `ShownOnce`; read once per operation. */
function shownOnce(operation: Operation): ReadonlySet<string> {
  let known = shownOnceFields.get(operation);
  if (!known) {
    const shape = ('shape' in operation.output ? operation.output.shape : {}) as Record<string, z.ZodType>;
    known = new Set(Object.keys(shape).filter((key) => z.globalRegistry.get(shape[key])?.['x-shown-once'] === true));
    shownOnceFields.set(operation, known);
  }
  return known;
}

/** A succeeded call's output as the run log keeps it: its `ShownOnce` fields redacted. */
export function loggableOutput(operation: Operation, output: unknown): unknown {
  const secrets = shownOnce(operation);
  if (secrets.size === 0 || output === null || typeof output !== 'object') return output;
  return Object.fromEntries(Object.entries(output).map(([key, value]) => [key, secrets.has(key) ? REDACTED : value]));
}

function copy(value: unknown, depth: number, isSecret: (key: string, depth: number) => boolean): unknown {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_INPUT_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => copy(item, depth + 1, isSecret));
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // defineProperty: a key such as __proto__ stays a plain field of the copy.
    Object.defineProperty(result, storableText(key), { value: isSecret(key, depth) ? REDACTED : copy(item, depth + 1, isSecret), enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/** The input with secrets redacted and text storable: what a succeeded run logs, and compares replays by. */
export function loggableInput(operation: Operation | undefined, input: unknown): unknown {
  const declared = secretFields(operation);
  return copy(input, 0, (key, depth) => SECRET_NAME.test(key) || (depth === 0 && declared.has(key)));
}

/** A refused or failed call's input: whole when small, else a prefix with the size and SHA-256 of the whole. */
export function boundedInput(operation: Operation | undefined, input: unknown): unknown {
  const logged = loggableInput(operation, input);
  const text = JSON.stringify(logged) ?? 'null';
  if (text.length <= MAX_LOGGED_REFUSAL) return logged;
  return {
    truncated: true,
    bytes: Buffer.byteLength(text),
    sha256: createHash('sha256').update(text).digest('hex'),
    prefix: storableText(text.slice(0, PREFIX_CHARACTERS)),
  };
}
