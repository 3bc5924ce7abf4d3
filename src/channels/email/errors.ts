import type { NodemailerError } from 'nodemailer/lib/errors';
import { DeliveryError } from '../../modules/communications/delivery-error.js';

/** Socket codes of a connection that never opened. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Timeouts of setting the session up: connecting, the greeting, a STARTTLS upgrade. */
const SETUP_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);
/** Commands of setting the session up, before any command about the message. */
const SETUP_COMMAND = /^(EHLO|HELO|LHLO|STARTTLS|AUTH)\b/;
/** TLS handshake failures (smtps://, STARTTLS): a certificate refused, or no TLS at the other end. */
const TLS_HANDSHAKE = /^(CERT_\w+|UNABLE_TO_\w+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH|ERR_SSL_WRONG_VERSION_NUMBER)$/;

/**
 * A nodemailer error as a `DeliveryError`: `retry` only when the server surely did not accept the
 * message, `rejected` when it refused it for good, `unknown` when it may have kept it. nodemailer says which step failed (`command`), the reply (`responseCode`, `permanent`:
 * 5xx but 503), the kind of timeout and the socket's own code (`originalCode`):
 *
 * - nothing of the message reached the server (`retry`): no connection (refused, DNS, unreachable),
 *   a timeout while connecting or at the greeting, a refused greeting (421 busy), the TLS handshake
 *   (certificate refused, no TLS there) or the login failing, any failure while the session was set
 *   up (EHLO, STARTTLS, AUTH), or the pool giving up after connections closed before the message
 *   (it re-sends only messages no connection started);
 * - a temporary reply (4xx) to MAIL FROM, RCPT TO or DATA, before the body: `retry`;
 * - a permanent reply (5xx) to them, or nodemailer refusing the envelope itself: `rejected`,
 *   and the message says it will not be sent;
 * - anything once the transaction has begun (the connection lost or silent, even before DATA:
 *   nodemailer does not say how far it got), and a temporary reply to the body itself: `unknown`, since
 *   the server may have kept the message. A 5xx to the body says it will not be sent.
 *
 * Messages name the step and the reply code, never the server's text (it often repeats the address).
 */
export function deliveryErrorOf(error: unknown, timeouts: { connectMs: number; silenceMs: number }): DeliveryError {
  if (!(error instanceof Error)) return new DeliveryError('Sending the email failed; the server may have accepted it.', 'unknown');
  const { code, originalCode, command, responseCode, permanent, timeoutType } = error as NodemailerError;
  const reply = replyOf(error as NodemailerError);
  const notSent = (why: string) => new DeliveryError(`${why}; the message was not sent.`, 'retry');

  if (code === 'EDNS' || NOT_CONNECTED.has(originalCode ?? code ?? '')) return notSent(`The mail server could not be reached (${originalCode ?? code})`);
  if (code === 'ETIMEDOUT' && timeoutType && SETUP_TIMEOUTS.has(timeoutType)) {
    return notSent(`The mail server did not answer within ${timeouts.connectMs / 1000} s while connecting`);
  }
  if (originalCode !== undefined && TLS_HANDSHAKE.test(originalCode)) return notSent(`The TLS connection to the mail server failed (${originalCode})`);
  if (code === 'EAUTH' || code === 'ENOAUTH') return notSent(`The mail server refused the login${reply ? ` (${reply})` : ''}: check the credentials in SMTP_URL`);
  if (code === 'ETLS' || (command !== undefined && SETUP_COMMAND.test(command))) {
    return notSent(`The session with the mail server failed while it was set up (${code}${reply ? ` ${reply}` : ''})`);
  }
  if (code === 'EPROTOCOL' && error.message.startsWith('Invalid greeting')) return notSent(`The mail server refused the connection${reply ? ` (${reply})` : ''}`);
  // Only the pool's own errors carry no step: it gave up re-sending (it re-sends only messages no
  // connection started), or it was closed before the message got a connection.
  if (code === 'ECONNECTION' && command === undefined) return notSent('The mail server closed every connection before the message could be sent');

  const beforeBody = code === 'EENVELOPE' || (code === 'EMESSAGE' && command === 'MAIL FROM');
  if (beforeBody && responseCode !== undefined && permanent === false) {
    return new DeliveryError(`The mail server refused the message for now (${reply} to ${command}); it was not sent and may be tried again.`, 'retry');
  }
  if (beforeBody) {
    return new DeliveryError(`The mail server refused the message (${reply ? `${reply} to ${command}` : 'before sending: the envelope or the size was not acceptable'}); it will not be sent.`, 'rejected');
  }
  if (code === 'EMESSAGE' && responseCode !== undefined) {
    return permanent
      ? new DeliveryError(`The mail server refused the message after receiving it (${reply}); it will not be sent.`, 'rejected')
      : new DeliveryError(`The mail server deferred the message after receiving it (${reply}); whether it kept it is unknown, so it is not sent again by itself.`, 'unknown');
  }
  if (code === 'ETIMEDOUT') {
    return new DeliveryError(`The mail server went silent for ${timeouts.silenceMs / 1000} s during the transaction; it may have accepted the message.`, 'unknown');
  }
  return new DeliveryError(`The connection to the mail server failed during the transaction (${code ?? error.name}); the server may have accepted the message.`, 'unknown');
}

/** The reply code and its enhanced status code ("550 5.1.1"), without the server's text. */
function replyOf(error: NodemailerError): string | undefined {
  const match = /^(\d{3})(?:[ -](\d\.\d{1,3}\.\d{1,3}))?/.exec(error.response ?? '');
  if (match) return match[2] ? `${match[1]} ${match[2]}` : match[1];
  return error.responseCode === undefined ? undefined : String(error.responseCode);
}
