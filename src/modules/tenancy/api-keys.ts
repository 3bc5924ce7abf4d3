import { LRUCache } from 'lru-cache';
import type { TenantInfo } from '../../context.js';
import type { Sql } from '../../db/sql.js';
import type { Role } from './entities.js';
import { hashApiKey, isPlausibleKey } from './service.js';
import { liveKeyByHash, type LiveKeyRow } from './statements.js';

/** How long one lookup of a key holds: a key revoked by any process stops working within this time. */
export const KEY_RECHECK_MS = 3_000;
/** Live keys remembered at most; past it the least recently used are forgotten (a clinic has a handful of keys). */
const MAX_REMEMBERED = 10_000;

export type FoundKey = { tenant: TenantInfo; keyId: string; role: Role };

/**
 * API keys as every door sees them (REST, MCP over HTTP and stdio): a live key's clinic and role,
 * looked up in the database at most once per KEY_RECHECK_MS per key in this process (concurrent
 * requests share one lookup). A key revoked anywhere (the CLI is another process) stops working here
 * within that time. Unknown and revoked keys are never remembered: every attempt with one is a lookup,
 * and counts as a failed attempt of its address.
 */
export class ApiKeys {
  private readonly live: LRUCache<string, FoundKey>;

  constructor(
    private readonly sql: Sql,
    recheckMs = KEY_RECHECK_MS,
  ) {
    this.live = new LRUCache<string, FoundKey>({ max: MAX_REMEMBERED, ttl: recheckMs, fetchMethod: (hash) => this.lookup(hash) });
  }

  /** The key's clinic and role, or undefined for an unknown or revoked key. */
  find(key: string): Promise<FoundKey | undefined> {
    if (!isPlausibleKey(key)) return Promise.resolve(undefined);
    return this.live.fetch(hashApiKey(key));
  }

  private async lookup(hash: string): Promise<FoundKey | undefined> {
    const [row] = await this.sql.query<LiveKeyRow>(liveKeyByHash(hash));
    if (!row) return undefined;
    return {
      tenant: { id: row.id, slug: row.slug, name: row.name, timeZone: row.timeZone, defaultCountry: row.defaultCountry },
      keyId: row.keyId,
      role: row.role,
    };
  }
}
