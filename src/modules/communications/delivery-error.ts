/**
 * Why a provider (Twilio, SMTP) did not take a communication, and whether trying again could send it
 * twice. Channel adapters throw it; the delivery job decides from it whether to retry.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** true only when the provider surely did not get it, or refused it unprocessed (a 429, a refused connection). */
    readonly retrySafe: boolean,
  ) {
    super(message);
  }
}
