import type { RunningServices } from '../services.js';
import { Tenant } from '../modules/tenancy/entities.js';
import { createTenant } from '../modules/tenancy/service.js';
import { commandArgs, required, UsageError } from './args.js';

const usage = `usage:
  npm run tenants -- create --slug <slug> --name <name> --time-zone <IANA zone> [--country US]
  npm run tenants -- list`;

/** Creates and lists tenants (clinics). */
export async function tenantsCommand(services: RunningServices, argv: string[]): Promise<void> {
  const { values, positionals } = commandArgs(argv, {
    slug: { type: 'string' },
    name: { type: 'string' },
    'time-zone': { type: 'string' },
    country: { type: 'string' },
  });
  const em = services.orm.em.fork();
  switch (positionals[0]) {
    case 'create': {
      const tenant = await createTenant(em, {
        slug: required(values, 'slug', usage),
        name: required(values, 'name', usage),
        timeZone: required(values, 'time-zone', usage),
        defaultCountry: typeof values.country === 'string' ? values.country.toUpperCase() : undefined,
      });
      console.log(`created tenant ${tenant.slug} (${tenant.id}), time zone ${tenant.timeZone}`);
      console.log(`next: npm run keys -- create --tenant ${tenant.slug} --role admin`);
      return;
    }
    case 'list': {
      const tenants = await em.find(Tenant, {}, { orderBy: { createdAt: 'asc' } });
      for (const tenant of tenants) console.log(`${tenant.slug}\t${tenant.id}\t${tenant.timeZone}\t${tenant.name}`);
      return;
    }
    default:
      throw new UsageError(usage);
  }
}
