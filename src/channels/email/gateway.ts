import { createTransport } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import type { Config } from '../../config.js';
import { DeliveryError } from '../../modules/communications/delivery-error.js';
import { deliveryErrorOf } from './errors.js';

export type OutboundEmail = {
  /** One recipient: `address` or `Name <address>`. */
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** One sender other than SMTP_FROM. */
  from?: string;
  headers?: Record<string, string>;
  /**
   * The RFC 5322 Message-ID, `<id@host>` (brackets added when missing): our communication's id, so a
   * resend of the same message can be recognised and logs correlate. nodemailer makes one otherwise.
   */
  messageId?: string;
};

/**
 * `providerMessageId`: the Message-ID the recipient gets, the server's own where it replaces ours
 * (Amazon SES, Microsoft 365 say so in their final reply), otherwise the one sent. `accepted`: the
 * server took the message for the recipient.
 */
export type SentEmail = { providerMessageId: string; accepted: boolean };

export type EmailGatewayOptions = {
  /** How long connecting and the server's greeting may take, in ms (20 s); mid-session silence may last 1.5 times that. */
  timeoutMs?: number;
};

type Mailbox = { name: string; address: string };

/**
 * Email for every tenant through one SMTP server (`SMTP_URL`, nodemailer's URL form) from the
 * clinic's sender (`SMTP_FROM`), over a pool of kept-open connections (nodemailer's: at most 5, a
 * connection reused for up to 100 messages; the URL's query may change that). Built once per process;
 * `close()` ends the pool.
 */
export class EmailGateway {
  /** false when SMTP_URL and SMTP_FROM are unset: `send` then refuses. */
  readonly configured: boolean;
  private readonly pool;
  private readonly sender: Mailbox | undefined;
  private readonly timeouts: { connectMs: number; silenceMs: number };
  private closed = false;

  constructor(settings: Config['email'], options: EmailGatewayOptions = {}) {
    const connectMs = options.timeoutMs ?? 20_000;
    // The idle-socket limit starts together with the greeting's: longer, so a server silent at its
    // greeting is reported as such (nothing of the message sent yet, so a retry is safe).
    this.timeouts = { connectMs, silenceMs: Math.round(connectMs * 1.5) };
    this.configured = settings !== undefined;
    this.sender = settings && singleMailbox(settings.from);
    if (settings && !this.sender) throw new Error('SMTP_FROM must be one email address');
    this.pool =
      settings &&
      createTransport({
        url: settings.smtpUrl,
        pool: true,
        connectionTimeout: connectMs,
        greetingTimeout: connectMs,
        socketTimeout: this.timeouts.silenceMs,
        // Messages are built from our own text only: never let one read a file or fetch a URL.
        disableFileAccess: true,
        disableUrlAccess: true,
        logger: false,
      });
  }

  /**
   * Sends one email. Throws `DeliveryError` (see `deliveryErrorOf`): `retry` only when the server surely did not accept
   * the message (see `deliveryErrorOf`).
   */
  async send(email: OutboundEmail): Promise<SentEmail> {
    if (!this.pool || !this.sender) throw new DeliveryError('Email is not configured (SMTP_URL and SMTP_FROM are not set); the message was not sent.', 'rejected');
    if (this.closed) throw new DeliveryError('Email sending has stopped (the service is shutting down); the message was not sent.', 'retry');
    const to = singleMailbox(email.to);
    if (!to) throw new DeliveryError('The recipient is not one email address; the message was not sent.', 'rejected');
    const from = email.from === undefined ? this.sender : singleMailbox(email.from);
    if (!from) throw new DeliveryError('The sender is not one email address; the message was not sent.', 'rejected');
    const messageId = email.messageId === undefined || email.messageId.startsWith('<') ? email.messageId : `<${email.messageId}>`;
    try {
      const info = await this.pool.sendMail({ from, to, subject: email.subject, text: email.text, html: email.html, headers: email.headers, messageId });
      return { providerMessageId: info.serverMessageId ?? info.messageId, accepted: info.accepted.length > 0 && info.rejected.length === 0 };
    } catch (error) {
      throw deliveryErrorOf(error, this.timeouts);
    }
  }

  /** Ends the pool: idle connections at once, one delivering a message when it is done. */
  close(): void {
    this.closed = true;
    this.pool?.close();
  }
}

/**
 * The one mailbox in `text`, or undefined: a list ("a@x, b@y"), a group, a name holding an address
 * ("a@x b@y" reads as b@y named a@x) or a missing address could send to someone else.
 */
function singleMailbox(text: string): Mailbox | undefined {
  const parsed = addressparser(text);
  const [mailbox] = parsed;
  if (parsed.length !== 1 || !mailbox?.address || mailbox.group) return undefined;
  if (!/^[^@\s]+@[^@\s]+$/.test(mailbox.address) || mailbox.name.includes('@')) return undefined;
  return { name: mailbox.name, address: mailbox.address };
}
