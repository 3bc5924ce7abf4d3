import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { AppError, ErrorCode } from '../../errors.js';

const issueTypes: Record<ErrorCode, OperationOutcomeIssue['code']> = {
  invalid_input: 'invalid',
  unauthorized: 'login',
  forbidden: 'forbidden',
  not_found: 'not-found',
  conflict: 'conflict',
  unprocessable: 'business-rule',
  payload_too_large: 'too-costly',
  unsupported_media_type: 'not-supported',
  rate_limited: 'throttled',
  internal: 'exception',
};

/** An issue of its own, for an answer that is no AppError (a write on this read-only API). */
export const outcomeOf = (code: OperationOutcomeIssue['code'], text: string): OperationOutcome => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code, details: { text } }],
});

/**
 * An error as FHIR answers one: an issue per wrong field (its name in `expression`, what is wrong in
 * `diagnostics`), under the message; the same words the JSON API gives.
 */
export function operationOutcome(error: AppError): OperationOutcome {
  const code = issueTypes[error.code];
  const fields = error.issues ?? [];
  if (fields.length === 0) return outcomeOf(code, error.message);
  return {
    resourceType: 'OperationOutcome',
    issue: fields.map((field) => ({ severity: 'error', code, details: { text: error.message }, diagnostics: `${field.path}: ${field.message}`, expression: [field.path] })),
  };
}
