/**
 * Prepared statements per connection in PGlite's one session. A server gives each connection a
 * session, so two connections may both prepare `prm_x`; PGlite has one session for all of them, where
 * the second Parse of a name would fail ("prepared statement already exists"). So a connection's
 * statement names are prefixed with its own (`c7_prm_x`) in every message that names one: Parse,
 * Bind, and Describe and Close of a statement. Portals and the unnamed statement need no prefix: they
 * last until the next Sync or the end of the transaction, and a connection holds the session that long.
 */

const PARSE = 0x50; // 'P'
const BIND = 0x42; // 'B'
const DESCRIBE = 0x44; // 'D'
const CLOSE = 0x43; // 'C'
const STATEMENT = 0x53; // 'S', in Describe and Close

export type StatementNames = {
  prefix: Buffer;
  /** The prefixed names this connection has parsed (and not closed): deallocated when it goes. */
  parsed: Set<string>;
};

export const statementNames = (connectionId: number): StatementNames => ({ prefix: Buffer.from(`c${connectionId}_`), parsed: new Set() });

/** The messages with this connection's statement names; the same buffer when none names one. */
export function withOwnStatementNames(messages: Buffer, names: StatementNames): Buffer {
  let pieces: Buffer[] | undefined;
  let copiedUpTo = 0;
  for (let offset = 0; offset < messages.length; offset += 1 + messages.readInt32BE(offset + 1)) {
    const at = nameOffset(messages, offset);
    if (at === undefined || messages[at] === 0) continue; // no statement named, or the unnamed one
    const end = messages.indexOf(0, at);
    const name = `${names.prefix.toString()}${messages.toString('utf8', at, end)}`;
    if (messages[offset] === PARSE) names.parsed.add(name);
    if (messages[offset] === CLOSE) names.parsed.delete(name);
    const length = Buffer.alloc(4);
    length.writeInt32BE(messages.readInt32BE(offset + 1) + names.prefix.length);
    pieces ??= [];
    pieces.push(messages.subarray(copiedUpTo, offset + 1), length, messages.subarray(offset + 5, at), names.prefix);
    copiedUpTo = at;
  }
  if (!pieces) return messages;
  pieces.push(messages.subarray(copiedUpTo));
  return Buffer.concat(pieces);
}

/** Where the statement name of the message at `offset` starts, if it names one. */
function nameOffset(messages: Buffer, offset: number): number | undefined {
  const body = offset + 5;
  switch (messages[offset]) {
    case PARSE:
      return body;
    case BIND:
      return messages.indexOf(0, body) + 1; // after the portal's name
    case DESCRIBE:
    case CLOSE:
      return messages[body] === STATEMENT ? body + 1 : undefined;
    default:
      return undefined;
  }
}

/** SQL that removes a name this connection prepared (the name is quoted as an identifier). */
export const deallocate = (name: string) => `deallocate "${name.replaceAll('"', '""')}"`;
