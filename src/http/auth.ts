import type { MiddlewareHandler } from 'hono';
import type { ActorKind, Channel, Services } from '../context.js';
import { unauthorized } from '../errors.js';
import { authenticate } from '../modules/tenancy/service.js';
import type { AppEnv } from './env.js';

/** The bearer token of the request, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Resolves `Authorization: Bearer <key>` to a caller. Staff and admin keys act as `staff`, agent keys
 * as `agent`; through the MCP door every key acts as `mcp`.
 */
export function requireApiKey(services: Services, door: { channel: Channel; actorKind?: ActorKind }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw unauthorized();
    const found = await authenticate(services.orm.em.fork(), token);
    if (!found) throw unauthorized('The API key is unknown or revoked.', 'invalid_token');
    c.set('caller', {
      tenant: found.tenant,
      actor: { kind: door.actorKind ?? (found.role === 'agent' ? 'agent' : 'staff'), id: `key:${found.keyId}`, role: found.role },
      channel: door.channel,
      requestId: c.get('requestId'),
    });
    await next();
  };
}
