import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook endpoints: where a clinic's events are pushed, which event types (exact, `family.*` or `*`),
 * and the secrets deliveries are signed with (the previous one kept for 24 hours after a rotation).
 */
export class Migration20261208010000_webhook_endpoints extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table webhook_endpoint (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      kind text not null check (kind in ('standard', 'n8n')),
      url text not null,
      description text,
      event_types text[] not null check (cardinality(event_types) between 1 and 50),
      enabled boolean not null,
      secret text not null,
      previous_secret text,
      previous_secret_until timestamptz,
      disabled_reason text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint webhook_endpoint_previous_secret_complete check ((previous_secret is null) = (previous_secret_until is null))
    );`);
    this.addSql(`create index webhook_endpoint_tenant_idx on webhook_endpoint (tenant_id, created_at, id);`);
  }
}
