import type { ActorKind, Caller, Channel, Services } from './context.js';
import { unauthorized } from './errors.js';
import { authenticate } from './modules/tenancy/service.js';

/** How long one check of a key holds in a long-lived session: a revoked key stops within this time. */
export const KEY_RECHECK_MS = 3_000;

/**
 * The caller of a session that outlives a request (the stdio MCP server) and acts with one API key.
 * The key is looked up again once its last check is older than `recheckMs` (a monotonic clock, one
 * lookup shared by concurrent calls), so revoking it takes effect within that time whichever process
 * revoked it. Rejects with `unauthorized` while the key is unknown or revoked.
 */
export function keyCaller(services: Services, key: string, door: { channel: Channel; actorKind: ActorKind }, options: { recheckMs?: number } = {}): () => Promise<Caller> {
  const recheckMs = options.recheckMs ?? KEY_RECHECK_MS;
  let checked: { caller: Caller; at: number } | undefined;
  let checking: Promise<Caller> | undefined;
  const check = async (): Promise<Caller> => {
    const found = await authenticate(services.orm.em.fork(), key);
    if (!found) {
      checked = undefined;
      throw unauthorized('The API key is unknown or revoked.', 'invalid_token');
    }
    const caller: Caller = { tenant: found.tenant, actor: { kind: door.actorKind, id: `key:${found.keyId}`, role: found.role }, channel: door.channel };
    checked = { caller, at: performance.now() };
    return caller;
  };
  return () => {
    if (checked && performance.now() - checked.at < recheckMs) return Promise.resolve(checked.caller);
    checking ??= check().finally(() => {
      checking = undefined;
    });
    return checking;
  };
}
