import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from '../../ids.js';
import { tenantFilter, tenantOwnedProperties } from '../../db/base.js';

export const roles = ['admin', 'staff', 'agent'] as const;
export type Role = (typeof roles)[number];

/** A clinic. Every other row belongs to one. */
export const Tenant = defineEntity({
  name: 'Tenant',
  tableName: 'tenant',
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    slug: p.string(),
    name: p.string(),
    /** IANA zone the clinic works in: schedules are read and times are shown in it. */
    timeZone: p.string(),
    /** ISO 3166 country used to read phone numbers written without a country code. */
    defaultCountry: p.string(),
    profile: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type Tenant = InferEntity<typeof Tenant>;

/** An API key: only its SHA-256 hash is stored; `prefix` lets people tell keys apart. */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_key',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    name: p.string(),
    role: p.enum([...roles]),
    prefix: p.string(),
    hash: p.string(),
    revokedAt: p.datetime().nullable(),
  },
});
export type ApiKey = InferEntity<typeof ApiKey>;
