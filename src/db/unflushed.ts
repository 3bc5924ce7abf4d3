import type { Statement } from './statement.js';

/*
 * Commits that do not wait for the WAL flush (`synchronous_commit` off for that one transaction).
 * The rule: a commit waits for the disk only where a promise is made outside the database right after
 * it — a webhook acknowledged to Twilio, a message about to be handed to Twilio, an answer to an API
 * caller. Bookkeeping that a job re-run rebuilds (a job's claim and completion, a turn whose reply is
 * then marked `sending`, a run-log row of a call that changed nothing) commits unflushed: it is
 * visible at once and survives a crash of the service; only a crash of the database server within a
 * fraction of a second can lose it, and the next flushed commit (WAL order) makes it durable too. The
 * embedded database, which dies with the service, gets the same bound from src/db/wal-flusher.ts.
 */

const SET_UNFLUSHED = `select set_config('synchronous_commit', 'off', true)`;

/**
 * A CTE for one autocommit statement: `with ${UNFLUSHED} update … from unflushed where …`; as a
 * Statement for `oneStatement`, `unflushedCte`. The statement must name `unflushed` for it to run.
 * (Inside a transaction, `set_config('synchronous_commit', 'off', true)` in any statement does the same.)
 */
export const UNFLUSHED = `unflushed as (${SET_UNFLUSHED})`;
export const unflushedCte: Statement = { name: 'unflushed', sql: SET_UNFLUSHED, params: [] };

