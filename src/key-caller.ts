import type { ActorKind, Caller, Channel, Services } from './context.js';
import { unauthorized } from './errors.js';

/**
 * The caller of a session that outlives a request (the stdio MCP server) and acts with one API key,
 * checked at every call through the process's key cache (src/modules/tenancy/api-keys.ts): a key
 * revoked while the session runs stops working within KEY_RECHECK_MS. Rejects with `unauthorized`
 * while the key is unknown or revoked.
 */
export function keyCaller(services: Services, key: string, door: { channel: Channel; actorKind: ActorKind }): () => Promise<Caller> {
  return async () => {
    const found = await services.apiKeys.find(key);
    if (!found) throw unauthorized('The API key is unknown or revoked.', 'invalid_token');
    return { tenant: found.tenant, actor: { kind: door.actorKind, id: `key:${found.keyId}`, role: found.role }, channel: door.channel };
  };
}
