import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../log.js';
import { deallocate, statementNames, withOwnStatementNames } from './embedded-statements.js';

/**
 * Serves a PGlite database over the Postgres wire protocol on a TCP port, so the ORM, psql and other
 * processes use it like any server.
 *
 * PGlite is one session, so connections take turns: a connection holds the session from its first
 * message until it has nothing more to run, has ended its extended-protocol run with a Sync, and is
 * not in a transaction block; the others queue in order of arrival. Everything a connection has sent
 * that is complete runs in one call into PGlite, and the answer goes back in one write; prepared
 * statements are the connection's own (src/db/embedded-statements.ts). (Per message,
 * as @electric-sql/pglite-socket does it, cost 5 calls and up to 5 socket writes per statement,
 * about a fifth of the database's CPU in the agent bench, and let another connection's messages run
 * between a statement's Execute and its Sync.)
 */
export type EmbeddedServer = { port: number; close(): Promise<void> };

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'
const SYNC_MESSAGE = new Uint8Array([SYNC, 0, 0, 0, 4]);

export async function serveEmbedded(db: PGlite, options: { host: string; port: number; log: Logger }): Promise<EmbeddedServer> {
  const session = new SessionTurns();
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.setNoDelay(true);
    const connection = new Connection(db, session, socket);
    socket.on('data', (data) => connection.received(data));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      connections.delete(socket);
      connection.closed().catch((error: unknown) => options.log.error({ err: error }, 'embedded database: ending a closed connection’s transaction failed'));
    });
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the embedded database server has no port');
  return {
    port: address.port,
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of connections) socket.destroy();
      await closed;
      await session.idle();
    },
  };
}

/** Who uses the PGlite session now, and who waits for it, in order. */
class SessionTurns {
  private holder: Connection | null = null;
  private readonly waiting: { connection: Connection; start: () => void }[] = [];

  async take(connection: Connection): Promise<void> {
    if (this.holder === connection) return;
    if (this.holder === null) {
      this.holder = connection;
      return;
    }
    await new Promise<void>((start) => this.waiting.push({ connection, start }));
  }

  holds(connection: Connection): boolean {
    return this.holder === connection;
  }

  release(connection: Connection): void {
    if (this.holder !== connection) {
      const index = this.waiting.findIndex((entry) => entry.connection === connection);
      if (index >= 0) this.waiting.splice(index, 1);
      return;
    }
    const next = this.waiting.shift();
    this.holder = next?.connection ?? null;
    next?.start();
  }

  /** Resolves once no connection holds the session (at close, after the last rollback). */
  async idle(): Promise<void> {
    while (this.holder !== null) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let connectionsOpened = 0;

class Connection {
  private readonly names = statementNames(++connectionsOpened);
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private running = false;
  private gone = false;
  /** Mid extended-protocol run (messages since the last Sync): the session stays with this connection. */
  private unsynced = false;

  constructor(
    private readonly db: PGlite,
    private readonly session: SessionTurns,
    private readonly socket: Socket,
  ) {}

  received(data: Buffer): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (let messages = this.takeMessages(); messages; messages = this.takeMessages()) {
        await this.session.take(this);
        if (this.gone) return;
        const answer = await this.execute(messages);
        if (answer.length > 0 && this.socket.writable) this.socket.write(answer);
        if (!this.unsynced && !this.db.isInTransaction() && this.complete() === 0) this.session.release(this);
      }
    } catch {
      this.socket.destroy();
    } finally {
      this.running = false;
    }
  }

  /** Every complete message received, as one block; undefined when none is complete yet. */
  private takeMessages(): Uint8Array | undefined {
    if (!this.started) return this.takeStartup();
    const length = this.complete();
    if (length === 0) return undefined;
    let messages = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    for (let offset = 0; offset < messages.length; offset += 1 + messages.readInt32BE(offset + 1)) {
      const type = messages[offset];
      if (type === TERMINATE) {
        // The client is done: what came before it runs, the rest is dropped; PGlite never sees it.
        messages = messages.subarray(0, offset);
        this.buffer = Buffer.alloc(0);
        this.socket.end();
        break;
      }
      this.unsynced = type !== SYNC && type !== QUERY;
    }
    return messages.length > 0 ? withOwnStatementNames(messages, this.names) : undefined;
  }

  /** How many bytes at the buffer's start make up complete messages. */
  private complete(): number {
    let offset = 0;
    while (offset + 5 <= this.buffer.length) {
      const end = offset + 1 + this.buffer.readInt32BE(offset + 1);
      if (end > this.buffer.length) break;
      offset = end;
    }
    return offset;
  }

  /** Before the startup message: SSL and GSS encryption are refused (one byte, 'N'), a cancel request is not supported. */
  private takeStartup(): Uint8Array | undefined {
    if (this.buffer.length < 8) return undefined;
    const length = this.buffer.readInt32BE(0);
    if (this.buffer.length < length) return undefined;
    const code = this.buffer.readInt32BE(4);
    const message = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.socket.write('N');
      return this.takeMessages();
    }
    if (code === CANCEL_REQUEST) {
      this.socket.end();
      return undefined;
    }
    this.started = true;
    return message;
  }

  private async execute(messages: Uint8Array): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    await this.db.runExclusive(() => this.db.execProtocolRawStream(messages, { onRawData: (data) => void chunks.push(data.slice()) }));
    return Buffer.concat(chunks);
  }

  /** The connection is gone: what it left open in the session is ended, its statements removed, and the session goes on. */
  async closed(): Promise<void> {
    this.gone = true;
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 1));
    if (!this.session.holds(this) && this.names.parsed.size === 0) return this.session.release(this);
    await this.session.take(this);
    try {
      if (this.unsynced) await this.execute(SYNC_MESSAGE);
      if (this.db.isInTransaction()) await this.db.exec('rollback'); // exec takes PGlite's own lock
      // A Parse that failed left no statement to remove.
      for (const name of this.names.parsed) await this.db.exec(deallocate(name)).catch(() => undefined);
    } finally {
      this.session.release(this);
    }
  }
}
