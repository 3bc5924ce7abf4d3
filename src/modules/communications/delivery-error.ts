/**
 * What became of a communication a provider did not confirm, as far as anyone can know:
 * - `retry`: the provider surely did not get it (no connection, a 429, a temporary refusal before
 *   the message itself was sent): it is sent again later;
 * - `rejected`: the provider refused it for good (an invalid number, a permanent SMTP refusal): it
 *   will never be sent, and is `failed`;
 * - `unknown`: the provider may have taken it (a server error or silence after the request was
 *   sent): it is never sent again by itself, and is `unknown` for staff.
 */
export type DeliveryOutcome = 'retry' | 'rejected' | 'unknown';

/** Thrown by every channel's adapter (Twilio, email); the delivery job acts on its outcome. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly outcome: DeliveryOutcome,
  ) {
    super(message);
  }
}
