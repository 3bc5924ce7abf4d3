import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Error text kept in a log line at most; the rest of a long message is cut. */
const MAX_MESSAGE = 300;
/** A PostgreSQL error code (SQLSTATE): five digits or capitals. */
const SQLSTATE = /^[0-9A-Z]{5}$/;

type LoggedError = {
  type: string;
  message: string;
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  statusCode?: number;
  stack?: string;
  cause?: LoggedError;
};

const stringField = (error: object, name: string): string | undefined => {
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * An error as a log line may show it: its kind, codes and where it was thrown, never what it
 * carried. A database error's message holds the statement and often the values (a date of birth, a
 * message body, "Key (phone)=(+1…)"), so only its code and the names of the constraint, table and
 * column are kept. A model provider's error carries the whole prompt (`requestBodyValues`) and the
 * answer: only its status. Other messages are kept, cut short; stacks keep their frames only (their
 * first line repeats the message).
 */
export function loggedError(value: unknown, depth = 0): LoggedError | undefined {
  if (!(value instanceof Error)) return value === undefined ? undefined : { type: typeof value, message: '(not an Error)' };
  const code = stringField(value, 'code') ?? stringField(value, 'sqlState');
  const fromDatabase = code !== undefined && SQLSTATE.test(code);
  const statusCode = (value as { statusCode?: unknown }).statusCode;
  return {
    type: value.name,
    message: fromDatabase ? `database error ${code}` : value.message.slice(0, MAX_MESSAGE),
    ...(code ? { code } : {}),
    ...(fromDatabase ? { constraint: stringField(value, 'constraint'), table: stringField(value, 'table'), column: stringField(value, 'column') } : {}),
    ...(typeof statusCode === 'number' ? { statusCode } : {}),
    stack: value.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, 12).join('\n'),
    ...(value.cause !== undefined && depth < 3 ? { cause: loggedError(value.cause, depth + 1) } : {}),
  };
}

/** One line for an error, as `loggedError` would show it: for a job's last error, a turn's fallback reason. */
export function errorSummary(error: unknown): string {
  const logged = loggedError(error);
  return logged ? `${logged.type}: ${logged.message}` : 'unknown error';
}

/**
 * The service's logger. JSON lines on stdout for the service; on stderr for the stdio MCP server,
 * whose stdout belongs to the protocol; or any stream (tests read what would be written). Errors go
 * under `err`, through `loggedError`; other fields are ids, never a patient's details or a secret.
 */
export function createLogger(options: { level: string; destination?: 'stdout' | 'stderr' | DestinationStream }): Logger {
  const destination =
    typeof options.destination === 'object' ? options.destination : pino.destination({ fd: options.destination === 'stderr' ? 2 : 1, sync: false });
  return pino(
    { level: options.level, base: undefined, serializers: { err: loggedError }, redact: ['*.authorization', '*.apiKey'] },
    destination,
  );
}
