import { LRUCache } from 'lru-cache';
import type { TenantInfo } from '../../context.js';
import type { Sql } from '../../db/sql.js';
import { numberOwner, type NumberOwnerRow } from './statements.js';

/** A clinic as its Twilio webhooks need it: the auth token that signs them, and who it is. */
export type NumberOwner = { authToken: string; tenant: TenantInfo };

/** How long a number's owner is remembered: a change made by another process is seen within this time. */
export const NUMBER_RECHECK_MS = 3_000;
/** Numbers remembered at most (a clinic has one or two). */
const MAX_REMEMBERED = 10_000;

async function lookUp(sql: Sql, number: string): Promise<NumberOwner | undefined> {
  const [row] = await sql.query<NumberOwnerRow>(numberOwner(number));
  return row && { authToken: row.authToken, tenant: { id: row.id, slug: row.slug, name: row.name, timeZone: row.timeZone, defaultCountry: row.defaultCountry } };
}

/**
 * The clinic that owns each Twilio number, as every inbound webhook asks: looked up at most once per
 * NUMBER_RECHECK_MS per number in this process (concurrent webhooks share one lookup), which saves
 * every message a query. Unknown numbers are never remembered. A change of the numbers or the token
 * made through this process is seen at once (`forget`); one made by another process (the CLI) within
 * the recheck time, and a webhook signed with a token newer than the one remembered is looked up
 * afresh before it is refused (src/channels/twilio/webhook.ts).
 */
export class TwilioNumbers {
  private readonly owners: LRUCache<string, NumberOwner>;

  constructor(sql: Sql, recheckMs = NUMBER_RECHECK_MS) {
    // A lookup under way when the numbers are forgotten still answers its webhook (ignoreFetchAbort).
    this.owners = new LRUCache<string, NumberOwner>({ max: MAX_REMEMBERED, ttl: recheckMs, ignoreFetchAbort: true, fetchMethod: (number) => lookUp(sql, number) });
  }

  /** The number's clinic, or undefined when no clinic has it. */
  find(number: string): Promise<NumberOwner | undefined> {
    return this.owners.fetch(number);
  }

  /** Forgets one number's owner, or every one (after the numbers or a token changed). */
  forget(number?: string): void {
    if (number === undefined) this.owners.clear();
    else this.owners.delete(number);
  }
}
