import type { ZodError } from 'zod';

/** Every error the service answers with has one of these codes. */
export const errorStatus = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** One problem with one field of the input; `path` is the field, dotted (`address.city`, `items.0.id`). */
export type FieldIssue = { path: string; message: string };

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues: FieldIssue[] | undefined;
  /** Extra facts a caller can act on (for example the candidates of a duplicate). */
  readonly details: Record<string, unknown> | undefined;
  /** HTTP headers that belong to this answer (`Retry-After`, `WWW-Authenticate`); other doors ignore them. */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    extra: { issues?: FieldIssue[]; details?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: extra.cause });
    this.name = 'AppError';
    this.code = code;
    this.issues = extra.issues;
    this.details = extra.details;
    this.headers = extra.headers;
  }

  get status(): number {
    return errorStatus[this.code];
  }

  /** The JSON body callers see: never a stack, never more than the message and the fields. */
  toJSON(): { error: { code: ErrorCode; message: string; issues?: FieldIssue[]; details?: Record<string, unknown> } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.issues ? { issues: this.issues } : {}),
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export const invalid = (message: string, issues?: FieldIssue[]) => new AppError('invalid_input', message, { issues });
/** A 400 naming each wrong field, its message listing them. */
export const invalidFields = (issues: FieldIssue[]) => invalid(`Invalid input: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, issues);
/** RFC 6750: a 401 names the scheme; `invalid_token` when a key was given but is unknown or revoked. */
export const unauthorized = (message = 'A valid API key is required (Authorization: Bearer <key>).', reason?: 'invalid_token') =>
  new AppError('unauthorized', message, { headers: { 'WWW-Authenticate': reason ? `Bearer realm="prm", error="${reason}"` : 'Bearer realm="prm"' } });
export const forbidden = (message: string) => new AppError('forbidden', message);
export const notFound = (entity: string, id: string) => new AppError('not_found', `${entity} ${id} was not found.`);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new AppError('conflict', message, { details });
export const unprocessable = (message: string, details?: Record<string, unknown>) =>
  new AppError('unprocessable', message, { details });
/** The body is over the route's limit. The connection is closed: the rest of the body is never read. */
export const payloadTooLarge = (limitBytes: number) =>
  new AppError('payload_too_large', `The request body is larger than this route accepts (${limitBytes} bytes).`, {
    details: { limitBytes },
    headers: { Connection: 'close' },
  });
/** The body, or a file in it, is of a type this route does not take; `field` names the part. */
export const unsupportedMediaType = (message: string, field: string) =>
  new AppError('unsupported_media_type', message, { issues: [{ path: field, message }] });
/** Too many requests; `Retry-After` says in how many seconds the limit resets. */
export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new AppError('rate_limited', `${message} Retry in ${retryAfterSeconds} s.`, {
    details: { retryAfterSeconds },
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });

/** Turns a zod failure into field issues; `prefix` names where the input came from when that helps. */
export function fromZodError(error: ZodError, prefix?: string): AppError {
  const pathOf = (parts: readonly PropertyKey[]) => [prefix, ...parts.map(String)].filter((part) => part !== undefined && part !== '').join('.') || '(input)';
  // An unknown field is named as the field itself, so a caller sees which one to drop.
  const issues = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: pathOf([...issue.path, key]), message: 'unknown field' }))
      : [{ path: pathOf(issue.path), message: issue.message }],
  );
  return invalidFields(issues);
}

/** Anything thrown that is not an AppError is an internal error; its text stays in the log. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError('internal', 'Something went wrong on our side. The error was logged.', { cause: error });
}
