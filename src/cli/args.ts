import { parseArgs } from 'node:util';

/** `--name value` options and positional words of a CLI command. */
export function commandArgs(argv: string[], options: Record<string, { type: 'string' | 'boolean'; short?: string }>) {
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
}

/** The value of a required option, or a usage error. */
export function required(values: Record<string, unknown>, name: string, usage: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required.\n${usage}`);
  return value;
}

export class UsageError extends Error {}
