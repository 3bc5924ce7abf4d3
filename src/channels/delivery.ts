/**
 * Why a send did not happen, and whether trying again could duplicate a message. Every channel's
 * gateway (Twilio, email) throws it, so the sender decides about retries the same way for all.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /**
     * true only when the provider surely did not accept the message: for Twilio, the request surely
     * did not reach it, or it refused it unprocessed (429); for email, see `EmailGateway.send`.
     */
    readonly retrySafe: boolean,
  ) {
    super(message);
  }
}
