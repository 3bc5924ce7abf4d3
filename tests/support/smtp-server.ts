import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

export type ReceivedEmail = {
  /** The envelope: MAIL FROM and RCPT TO. */
  mailFrom: string;
  rcptTo: string[];
  /** The user the session logged in as, and how. */
  user: string | undefined;
  authMethod: string | undefined;
  /** The message as received, and its headers by lower-case name (unfolded). */
  raw: string;
  headers: Map<string, string>;
  sessionId: string;
};

type Handlers = Pick<SMTPServerOptions, 'onConnect' | 'onMailFrom' | 'onRcptTo' | 'onData'>;

export type TestSmtpServer = {
  port: number;
  /** `smtp://` URL of the server, with `credentials` when given. */
  url: string;
  received: ReceivedEmail[];
  /** Sessions opened and closed so far. */
  sessions: { opened: number; closed: number };
  /** Ends a session from the server's side without a reply (a dropped connection). */
  drop(session: SMTPServerSession): void;
  close(): Promise<void>;
};

/** An SMTP error with its reply code, as smtp-server's handlers take it. */
export const reply = (responseCode: number, message: string) => Object.assign(new Error(message), { responseCode });

/**
 * A real SMTP server on a free loopback port (smtp-server), no TLS unless `settings` offer STARTTLS (with
 * smtp-server's own untrusted certificate). It keeps every message it accepts;
 * `handlers` replace its defaults to refuse, stall or drop at a chosen step. With `credentials` it
 * requires AUTH (PLAIN or LOGIN, allowed without TLS on loopback) and accepts only those.
 */
export async function startSmtpServer(
  options: { credentials?: { user: string; pass: string }; handlers?: Handlers; settings?: Pick<SMTPServerOptions, 'disabledCommands' | 'hideSTARTTLS'> } = {},
): Promise<TestSmtpServer> {
  const received: ReceivedEmail[] = [];
  const sessions = { opened: 0, closed: 0 };
  const authMethods = new Map<string, string>();
  const { credentials, handlers = {} } = options;
  let queued = 0;
  const server: SMTPServer = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    hideSTARTTLS: true,
    closeTimeout: 100,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !credentials,
    allowInsecureAuth: true,
    onAuth(auth, session, callback) {
      if (credentials && auth.username === credentials.user && auth.password === credentials.pass) {
        authMethods.set(session.id, auth.method);
        return callback(null, { user: auth.username });
      }
      callback(reply(535, 'Authentication failed'));
    },
    onConnect(session, callback) {
      sessions.opened += 1;
      if (handlers.onConnect) handlers.onConnect(session, callback);
      else callback();
    },
    onClose() {
      sessions.closed += 1;
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((recipient) => recipient.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          authMethod: authMethods.get(session.id),
          raw,
          headers: headersOf(raw),
          sessionId: session.id,
        });
        callback(null, `Ok: queued as TEST${++queued}`);
      });
    },
    ...(handlers.onMailFrom ? { onMailFrom: handlers.onMailFrom } : {}),
    ...(handlers.onRcptTo ? { onRcptTo: handlers.onRcptTo } : {}),
    ...(handlers.onData ? { onData: handlers.onData } : {}),
    ...options.settings,
  });
  // Failed TLS handshakes are the server's errors too; a test reads them from the client's side.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  const userInfo = credentials ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@` : '';
  return {
    port,
    url: `smtp://${userInfo}127.0.0.1:${port}`,
    received,
    sessions,
    drop(session) {
      for (const connection of server.connections) if (connection.id === session.id) connection.close();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function headersOf(raw: string): Map<string, string> {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}
