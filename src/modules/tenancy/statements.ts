import type { Statement } from '../../db/statement.js';
import type { Role } from './entities.js';

/**
 * A live key by its hash, with its clinic, in one query. The one statement without a tenant in its
 * `where`: it is how a request comes to have a tenant.
 */
export const liveKeyByHash = (hash: string): Statement => ({
  sql: `select k.id as "keyId", k.role, t.id, t.slug, t.name, t.time_zone as "timeZone", t.default_country as "defaultCountry"
    from api_key k join tenant t on t.id = k.tenant_id
    where k.hash = ? and k.revoked_at is null`,
  params: [hash],
});
export type LiveKeyRow = { keyId: string; role: Role; id: string; slug: string; name: string; timeZone: string; defaultCountry: string };
