import type { MiddlewareHandler } from 'hono';
import type { ActorKind, Channel, Services } from '../context.js';
import { unauthorized } from '../errors.js';
import { clientAddress } from './client-address.js';
import type { AppEnv } from './env.js';
import type { WriteTest } from './writes.js';

/** The bearer token of the request, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Resolves `Authorization: Bearer <key>` to a caller. Staff and admin keys act as `staff`, agent keys
 * as `agent`; through the MCP door every key acts as `mcp`. Keys are looked up through the process's
 * key cache: a revoked key stops within KEY_RECHECK_MS (src/modules/tenancy/api-keys.ts).
 *
 * Limits: an address over its limit of failed attempts is refused before any lookup, even with a good
 * key (a guesser gets no more database lookups); a missing or bad key counts as a failed attempt of
 * the address; a good key counts against its own limits of requests and writes.
 */
export function requireApiKey(services: Services, door: { channel: Channel; actorKind?: ActorKind; writes: WriteTest }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const address = clientAddress(c, services.config.trustedProxyHops);
    await services.rateLimits.refuseFailingAddress(address);
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw await services.rateLimits.failedAttempt(address, unauthorized());
    const found = await services.apiKeys.find(token);
    if (!found) throw await services.rateLimits.failedAttempt(address, unauthorized('The API key is unknown or revoked.', 'invalid_token'));
    await services.rateLimits.countKeyRequest(found.keyId, { write: door.writes(c) });
    c.set('caller', {
      tenant: found.tenant,
      actor: { kind: door.actorKind ?? (found.role === 'agent' ? 'agent' : 'staff'), id: `key:${found.keyId}`, role: found.role },
      channel: door.channel,
      requestId: c.get('requestId'),
    });
    await next();
  };
}
