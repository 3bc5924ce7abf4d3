import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantInfo } from '../../context.js';
import { conflict, invalid, notFound } from '../../errors.js';
import { newId } from '../../ids.js';
import { ApiKey, Tenant, type Role } from './entities.js';

const KEY_PREFIX = 'prm_';

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export const tenantInfo = (tenant: Tenant): TenantInfo => ({
  id: tenant.id,
  slug: tenant.slug,
  name: tenant.name,
  timeZone: tenant.timeZone,
  defaultCountry: tenant.defaultCountry,
});

function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw invalid(`Unknown time zone "${timeZone}"; use an IANA name such as Europe/London.`, [{ path: 'timeZone', message: 'unknown time zone' }]);
  }
}

/** Creates a clinic. `slug` is its short unique name, used by the CLI and in logs. */
export async function createTenant(
  em: EntityManager,
  input: { slug: string; name: string; timeZone: string; defaultCountry?: string; profile?: Record<string, unknown> },
): Promise<Tenant> {
  assertTimeZone(input.timeZone);
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(input.slug)) {
    throw invalid('A slug is 2-63 lowercase letters, digits and dashes.', [{ path: 'slug', message: 'invalid slug' }]);
  }
  if (await em.findOne(Tenant, { slug: input.slug })) throw conflict(`A tenant with slug "${input.slug}" already exists.`);
  const tenant = em.create(Tenant, {
    id: newId(),
    slug: input.slug,
    name: input.name,
    timeZone: input.timeZone,
    defaultCountry: input.defaultCountry ?? 'US',
    profile: input.profile ?? {},
  });
  await em.flush();
  return tenant;
}

export async function findTenantBySlug(em: EntityManager, slug: string): Promise<Tenant> {
  const tenant = await em.findOne(Tenant, { slug });
  if (!tenant) throw notFound('Tenant', slug);
  return tenant;
}

export type ApiKeyView = { id: string; name: string; role: Role; prefix: string; createdAt: string; revokedAt: string | null };

const keyView = (key: ApiKey): ApiKeyView => ({
  id: key.id,
  name: key.name,
  role: key.role,
  prefix: key.prefix,
  createdAt: key.createdAt.toISOString(),
  revokedAt: key.revokedAt?.toISOString() ?? null,
});

/**
 * Creates an API key and returns it once, in clear; only its hash is kept. Pass `key` to register a
 * key chosen elsewhere (the `PRM_ADMIN_API_KEY` of a deployment).
 */
export async function createApiKey(
  em: EntityManager,
  input: { tenantId: string; name: string; role: Role; key?: string },
): Promise<{ key: string; view: ApiKeyView }> {
  const key = input.key ?? `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
  const record = em.create(ApiKey, {
    id: newId(),
    tenantId: input.tenantId,
    name: input.name,
    role: input.role,
    prefix: key.slice(0, 10),
    hash: hashApiKey(key),
    revokedAt: null,
  });
  await em.flush();
  return { key, view: keyView(record) };
}

export async function listApiKeys(em: EntityManager, tenantId: string): Promise<ApiKeyView[]> {
  const keys = await em.find(ApiKey, { tenantId }, { filters: false, orderBy: { createdAt: 'asc' } });
  return keys.map(keyView);
}

/** Revokes a key by id; it stops working at once. */
export async function revokeApiKey(em: EntityManager, keyId: string): Promise<ApiKeyView> {
  const key = await em.findOne(ApiKey, { id: keyId }, { filters: false });
  if (!key) throw notFound('API key', keyId);
  key.revokedAt ??= new Date();
  await em.flush();
  return keyView(key);
}

/** Makes sure `key` works as an admin key of the tenant (idempotent). */
export async function ensureApiKey(em: EntityManager, input: { tenantId: string; key: string; name: string; role: Role }): Promise<void> {
  const existing = await em.findOne(ApiKey, { hash: hashApiKey(input.key) }, { filters: false });
  if (existing && existing.tenantId !== input.tenantId) throw conflict('That key already belongs to another tenant.');
  if (existing) {
    existing.revokedAt = null;
    existing.role = input.role;
    await em.flush();
    return;
  }
  await createApiKey(em, input);
}

/** Whether `key` could be an API key at all; anything else is refused without a lookup. */
export const isPlausibleKey = (key: string): boolean => key.startsWith(KEY_PREFIX) || key.length >= 24;
