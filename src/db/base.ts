import { p } from '@mikro-orm/core';
import { newId } from '../ids.js';

/**
 * Columns every tenant-owned table has. A function, so each entity gets its own builders.
 * Ids are UUIDv7 made in the application, so a service knows an id before the flush.
 */
export const tenantOwnedProperties = () => ({
  id: p.uuid().primary().onCreate(() => newId()),
  tenantId: p.uuid(),
  createdAt: p.datetime().onCreate(() => new Date()),
  updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
});

/**
 * The tenant filter: on by default for every tenant-owned entity, and MikroORM refuses a query when
 * no tenant was given, so a query can neither cross tenants nor forget to name one.
 */
export const TENANT_FILTER = 'tenant';

export const tenantFilter = {
  [TENANT_FILTER]: { name: TENANT_FILTER, cond: (args: { tenantId: string }) => ({ tenantId: args.tenantId }), default: true },
};
