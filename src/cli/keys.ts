import type { RunningServices } from '../services.js';
import { roles, type Role } from '../modules/tenancy/entities.js';
import { createApiKey, findTenantBySlug, listApiKeys, revokeApiKey } from '../modules/tenancy/service.js';
import { commandArgs, required, UsageError } from './args.js';

const usage = `usage:
  npm run keys -- create --tenant <slug> --role admin|staff|agent [--name <label>]
  npm run keys -- list --tenant <slug>
  npm run keys -- revoke <key id>`;

const isRole = (value: string): value is Role => (roles as readonly string[]).includes(value);

/** Creates, lists and revokes API keys. A new key is printed once; only its hash is stored. */
export async function keysCommand(services: RunningServices, argv: string[]): Promise<void> {
  const { values, positionals } = commandArgs(argv, { tenant: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' } });
  const em = services.orm.em.fork();
  switch (positionals[0]) {
    case 'create': {
      const tenant = await findTenantBySlug(em, required(values, 'tenant', usage));
      const role = required(values, 'role', usage);
      if (!isRole(role)) throw new UsageError(`--role must be one of ${roles.join(', ')}.\n${usage}`);
      const name = typeof values.name === 'string' ? values.name : `${role} key`;
      const { key, view } = await createApiKey(em, { tenantId: tenant.id, name, role });
      console.log(`created ${view.role} key ${view.id} for ${tenant.slug}:\n\n  ${key}\n\nIt is shown only now; store it safely.`);
      return;
    }
    case 'list': {
      const tenant = await findTenantBySlug(em, required(values, 'tenant', usage));
      for (const key of await listApiKeys(em, tenant.id)) {
        console.log(`${key.id}\t${key.role}\t${key.prefix}…\t${key.revokedAt ? `revoked ${key.revokedAt}` : 'active'}\t${key.name}`);
      }
      return;
    }
    case 'revoke': {
      const id = positionals[1];
      if (!id) throw new UsageError(usage);
      const key = await revokeApiKey(em, id);
      console.log(`revoked ${key.id} (${key.name})`);
      return;
    }
    default:
      throw new UsageError(usage);
  }
}
