import type { Statement } from '../../db/statement.js';

/**
 * The clinic that owns a Twilio number, with the auth token its webhooks are signed with. Like
 * `liveKeyByHash`, without a tenant in its `where`: it is how a webhook comes to have a tenant.
 */
export const numberOwner = (number: string): Statement => ({
  sql: `select a.auth_token as "authToken", t.id, t.slug, t.name, t.time_zone as "timeZone", t.default_country as "defaultCountry"
    from twilio_number n join twilio_account a on a.tenant_id = n.tenant_id join tenant t on t.id = n.tenant_id
    where n.number = ?`,
  params: [number],
});
export type NumberOwnerRow = { authToken: string; id: string; slug: string; name: string; timeZone: string; defaultCountry: string };
