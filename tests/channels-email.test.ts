import { createServer, type AddressInfo } from 'node:net';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeliveryError } from '../src/modules/communications/delivery-error.js';
import { EmailGateway, type EmailGatewayOptions } from '../src/channels/email/gateway.js';
import { loadConfig } from '../src/config.js';
import { reply, startSmtpServer, type TestSmtpServer } from './support/smtp-server.js';

const CLINIC = 'Harbor Clinic <no-reply@clinic.example>';
const MARIA = 'maria@example.org';
const appointment = { to: MARIA, subject: 'Your appointment', text: 'See you on Tuesday at 10:00.' };

/** Closed after each test, last opened first (gateways before their servers). */
const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

async function smtpServer(options: Parameters<typeof startSmtpServer>[0] = {}): Promise<TestSmtpServer> {
  const server = await startSmtpServer(options);
  opened.push(server);
  return server;
}

function gateway(smtpUrl: string, options?: EmailGatewayOptions): EmailGateway {
  const email = new EmailGateway({ smtpUrl, from: CLINIC }, options);
  opened.push(email);
  return email;
}

/** The DeliveryError a send fails with. */
async function failure(sending: Promise<unknown>): Promise<DeliveryError> {
  const error = await sending.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

type DataCallback = (error?: Error | null) => void;

/** An onData handler that reads the whole body, then lets `answer` answer it (or not). */
const afterBody =
  (answer: (callback: DataCallback, session: SMTPServerSession) => void) => (stream: SMTPServerDataStream, session: SMTPServerSession, callback: DataCallback) => {
    stream.resume();
    stream.on('end', () => answer(callback, session));
  };

describe('email: a message reaches the server whole', () => {
  it('delivers sender, recipient, subject, text and our Message-ID', async () => {
    const server = await smtpServer();
    const sent = await gateway(server.url).send({ ...appointment, messageId: '<c0ffee-1@prm>' });

    expect(sent).toEqual({ providerMessageId: '<c0ffee-1@prm>', accepted: true });
    expect(server.received).toHaveLength(1);
    const [message] = server.received;
    expect(message.mailFrom).toBe('no-reply@clinic.example');
    expect(message.rcptTo).toEqual([MARIA]);
    expect(message.headers.get('from')).toBe(CLINIC);
    expect(message.headers.get('to')).toBe(MARIA);
    expect(message.headers.get('subject')).toBe('Your appointment');
    expect(message.headers.get('message-id')).toBe('<c0ffee-1@prm>');
    expect(message.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(message.raw).toContain('See you on Tuesday at 10:00.');
  });

  it('sends html beside the text, from another sender, with extra headers; a bare Message-ID gets its brackets', async () => {
    const server = await smtpServer();
    const sent = await gateway(server.url).send({
      ...appointment,
      html: '<p>See you on <b>Tuesday</b> at 10:00.</p>',
      from: 'Dr. Lee <lee@clinic.example>',
      headers: { 'X-PRM-Communication': 'c0ffee-2' },
      messageId: 'c0ffee-2@prm',
    });

    expect(sent.providerMessageId).toBe('<c0ffee-2@prm>');
    const [message] = server.received;
    expect(message.mailFrom).toBe('lee@clinic.example');
    expect(message.headers.get('from')).toBe('"Dr. Lee" <lee@clinic.example>');
    expect(message.headers.get('x-prm-communication')).toBe('c0ffee-2');
    expect(message.headers.get('message-id')).toBe('<c0ffee-2@prm>');
    expect(message.headers.get('content-type')).toMatch(/^multipart\/alternative/);
    expect(message.raw).toMatch(/Content-Type: text\/plain[\s\S]*See you on Tuesday at 10:00\.[\s\S]*Content-Type: text\/html[\s\S]*<p>See you on <b>Tuesday<\/b> at 10:00\.<\/p>/);
  });

  it("logs in with the URL's credentials (percent-decoded), by PLAIN or, when the URL asks, LOGIN", async () => {
    const server = await smtpServer({ credentials: { user: 'clinic', pass: 'p@ss:w/rd' } });
    await gateway(server.url).send(appointment);
    await gateway(`${server.url}?authMethod=LOGIN`).send(appointment);

    expect(server.received.map((message) => [message.user, message.authMethod])).toEqual([
      ['clinic', 'PLAIN'],
      ['clinic', 'LOGIN'],
    ]);
  });

  it('sends several messages in a row over one pooled connection', async () => {
    const server = await smtpServer();
    const email = gateway(server.url);
    for (const n of [1, 2, 3]) await email.send({ ...appointment, messageId: `<c0ffee-${n}@prm>` });

    expect(server.received.map((message) => message.headers.get('message-id'))).toEqual(['<c0ffee-1@prm>', '<c0ffee-2@prm>', '<c0ffee-3@prm>']);
    expect(new Set(server.received.map((message) => message.sessionId)).size).toBe(1);
    expect(server.sessions.opened).toBe(1);
  });

  it('close() ends the pooled connection; a send after it is refused as not sent', async () => {
    const server = await smtpServer();
    const email = gateway(server.url);
    await email.send(appointment);
    expect(server.sessions.closed).toBe(0);

    email.close();
    await vi.waitFor(() => expect(server.sessions.closed).toBe(1));
    const error = await failure(email.send(appointment));
    expect(error.outcome).toBe('retry');
    expect(error.message).toBe('Email sending has stopped (the service is shutting down); the message was not sent.');
    expect(server.received).toHaveLength(1);
  });
});

describe('email: configuration', () => {
  it('is not configured without SMTP_URL and SMTP_FROM, and then refuses to send', async () => {
    const email = new EmailGateway(loadConfig({}).email);
    expect(email.configured).toBe(false);
    const error = await failure(email.send(appointment));
    expect(error.message).toMatch(/Email is not configured \(SMTP_URL and SMTP_FROM/);
    expect(error.outcome).toBe('rejected');

    const configured = new EmailGateway(loadConfig({ SMTP_URL: 'smtps://user:secret@smtp.clinic.example', SMTP_FROM: CLINIC }).email);
    expect(configured.configured).toBe(true);
    configured.close();
  });

  it('takes SMTP_URL and SMTP_FROM together, an smtp:// or smtps:// URL, and one sender', () => {
    expect(loadConfig({ SMTP_URL: 'smtp://user:secret@smtp.clinic.example:587', SMTP_FROM: CLINIC }).email).toEqual({
      smtpUrl: 'smtp://user:secret@smtp.clinic.example:587',
      from: CLINIC,
    });
    expect(loadConfig({ SMTP_URL: ' ', SMTP_FROM: '' }).email).toBeUndefined();
    expect(() => loadConfig({ SMTP_URL: 'smtp://smtp.clinic.example' })).toThrow(/SMTP_FROM: SMTP_URL and SMTP_FROM are set together/);
    expect(() => loadConfig({ SMTP_FROM: CLINIC })).toThrow(/SMTP_URL: SMTP_URL and SMTP_FROM are set together/);
    expect(() => loadConfig({ SMTP_URL: 'https://user:secret@smtp.clinic.example', SMTP_FROM: CLINIC })).toThrow(/SMTP_URL: must be an smtp/);
    expect(() => loadConfig({ SMTP_URL: 'https://user:secret@smtp.clinic.example', SMTP_FROM: CLINIC })).not.toThrow(/secret/);
    for (const from of ['a@clinic.example, b@clinic.example', 'Harbor, Downtown <a@clinic.example>', 'Harbor Clinic']) {
      expect(() => loadConfig({ SMTP_URL: 'smtp://smtp.clinic.example', SMTP_FROM: from })).toThrow(/SMTP_FROM: must be one address/);
    }
  });

  it('refuses a recipient or sender that is not one address, before connecting', async () => {
    const server = await smtpServer();
    const email = gateway(server.url);
    for (const to of [`${MARIA}, other@example.org`, `${MARIA} other@example.org`, 'family: a@example.org, b@example.org;', 'Maria Gonzalez']) {
      const error = await failure(email.send({ ...appointment, to }));
      expect(error.message).toBe('The recipient is not one email address; the message was not sent.');
      expect(error.outcome).toBe('rejected');
    }
    const sender = await failure(email.send({ ...appointment, from: 'a@clinic.example, b@clinic.example' }));
    expect(sender.message).toBe('The sender is not one email address; the message was not sent.');
    expect(server.sessions.opened).toBe(0);
  });
});

describe('email: a failed send says whether a retry could duplicate the message', () => {
  it('connection refused: retry-safe', async () => {
    const error = await failure(gateway(`smtp://127.0.0.1:${await closedPort()}`).send(appointment));
    expect(error.outcome).toBe('retry');
    expect(error.message).toMatch(/could not be reached \(ECONNREFUSED\); the message was not sent/);
  });

  it('an unknown host: retry-safe', async () => {
    const error = await failure(gateway('smtp://smtp.no-such-host.invalid:587').send(appointment));
    expect(error.outcome).toBe('retry');
    expect(error.message).toMatch(/could not be reached \((ENOTFOUND|EAI_AGAIN)\)/);
  });

  it('a failed login: retry-safe', async () => {
    const server = await smtpServer({ credentials: { user: 'clinic', pass: 'right' } });
    const error = await failure(gateway(server.url.replace('right', 'wrong')).send(appointment));
    expect(error.outcome).toBe('retry');
    expect(error.message).toMatch(/refused the login \(535\)/);
    expect(server.received).toHaveLength(0);
  });

  it('TLS that fails (smtps:// to a server without it; a certificate not trusted): retry-safe', async () => {
    const plain = await smtpServer();
    const noTls = await failure(gateway(plain.url.replace('smtp://', 'smtps://')).send(appointment));
    expect(noTls.outcome).toBe('retry');
    expect(noTls.message).toMatch(/TLS connection to the mail server failed \(ERR_SSL_WRONG_VERSION_NUMBER\); the message was not sent/);

    const untrusted = await smtpServer({ settings: { hideSTARTTLS: false } });
    const refused = await failure(gateway(untrusted.url).send(appointment));
    expect(refused.outcome).toBe('retry');
    expect(refused.message).toMatch(/TLS connection to the mail server failed \((CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED)/);
    expect([...plain.received, ...untrusted.received]).toHaveLength(0);
  });

  it('the session failing while it is set up (EHLO and HELO refused; STARTTLS required but missing): retry-safe', async () => {
    const noGreeting = await smtpServer({ settings: { disabledCommands: ['EHLO', 'HELO'] } });
    const helo = await failure(gateway(noGreeting.url).send(appointment));
    expect(helo.outcome).toBe('retry');
    expect(helo.message).toMatch(/failed while it was set up \(EPROTOCOL 500\); the message was not sent/);

    const noStartTls = await smtpServer({ settings: { disabledCommands: ['STARTTLS'] } });
    const tls = await failure(gateway(`${noStartTls.url}?requireTLS=true`).send(appointment));
    expect(tls.outcome).toBe('retry');
    expect(tls.message).toMatch(/failed while it was set up \(ETLS 500\); the message was not sent/);
  });

  const refusals = [
    { step: 'MAIL FROM', code: 451, outcome: 'retry', says: /refused the message for now \(451 4\.3\.0 to MAIL FROM\); it was not sent and may be tried again/ },
    { step: 'MAIL FROM', code: 550, outcome: 'rejected', says: /refused the message \(550 5\.3\.0 to MAIL FROM\); it will not be sent/ },
    { step: 'RCPT TO', code: 451, outcome: 'retry', says: /refused the message for now \(451 4\.3\.0 to RCPT TO\); it was not sent and may be tried again/ },
    { step: 'RCPT TO', code: 550, outcome: 'rejected', says: /refused the message \(550 5\.3\.0 to RCPT TO\); it will not be sent/ },
    { step: 'the body', code: 451, outcome: 'unknown', says: /deferred the message after receiving it \(451 4\.3\.0\); whether it kept it is unknown/ },
    { step: 'the body', code: 554, outcome: 'rejected', says: /refused the message after receiving it \(554 5\.3\.0\); it will not be sent/ },
  ] as const;
  for (const { step, code, outcome, says } of refusals) {
    it(`${code} to ${step}: ${outcome}`, async () => {
      // The server's text names the patient's address; the error must not repeat it.
      const refusal = reply(code, `${code < 500 ? '4' : '5'}.3.0 <${MARIA}>: not now`);
      const refuse = (_address: unknown, _session: unknown, callback: (error?: Error | null) => void) => callback(refusal);
      const handlers =
        step === 'MAIL FROM' ? { onMailFrom: refuse } : step === 'RCPT TO' ? { onRcptTo: refuse } : { onData: afterBody((callback) => callback(refusal)) };
      const server = await smtpServer({ handlers });

      const error = await failure(gateway(server.url).send(appointment));
      expect(error.outcome).toBe(outcome);
      expect(error.message).toMatch(says);
      expect(error.message).not.toContain(MARIA);
    });
  }

  it('the connection dropped after the body, before the answer: unknown', async () => {
    let server: TestSmtpServer | undefined;
    server = await smtpServer({ handlers: { onData: afterBody((_callback, session) => server?.drop(session)) } });

    const error = await failure(gateway(server.url).send(appointment));
    expect(error.outcome).toBe('unknown');
    expect(error.message).toMatch(/failed during the transaction \(ECONNECTION\); the server may have accepted the message/);
  });

  it('no answer to the body within the time limit: unknown', async () => {
    const server = await smtpServer({ handlers: { onData: afterBody(() => undefined) } });
    const started = Date.now();
    const error = await failure(gateway(server.url, { timeoutMs: 300 }).send(appointment));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.outcome).toBe('unknown');
    expect(error.message).toMatch(/went silent for 0\.45 s during the transaction; it may have accepted the message/);
  });

  it('a server that never answers the greeting: retry-safe, within the time limit', async () => {
    const server = await smtpServer({ handlers: { onConnect: () => undefined } });
    const started = Date.now();
    const error = await failure(gateway(server.url, { timeoutMs: 300 }).send(appointment));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.outcome).toBe('retry');
    expect(error.message).toMatch(/did not answer within 0\.3 s while connecting; the message was not sent/);
    expect(server.sessions.opened).toBe(1);
  });

  it('a greeting that refuses the connection (421, busy): retry-safe', async () => {
    const server = await smtpServer({ handlers: { onConnect: (_session, callback) => callback(reply(421, 'Too busy, try later')) } });
    const error = await failure(gateway(server.url).send(appointment));
    expect(error.outcome).toBe('retry');
    expect(error.message).toMatch(/refused the connection \(421\); the message was not sent/);
  });

  it('every connection closed before the greeting, until the pool gives up: retry-safe', async () => {
    let server: TestSmtpServer | undefined;
    server = await smtpServer({ handlers: { onConnect: (session) => server?.drop(session) } });
    const error = await failure(gateway(server.url).send(appointment));
    expect(error.outcome).toBe('retry');
    expect(error.message).toMatch(/closed every connection before the message could be sent/);
    expect(server.sessions.opened).toBeGreaterThan(1);
  });
});
