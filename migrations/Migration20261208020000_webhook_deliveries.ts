import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook deliveries. Every domain event inserted gets, in the same transaction, one job per enabled
 * endpoint of its clinic that wants its type (exact, `family.*` or `*`): a trigger, so that no way of
 * writing an event (the ORM's flush, the typed statements of the hot paths) can forget it. The jobs of
 * one (endpoint, entity) share a serial key, so an entity's events reach an endpoint in order, a
 * retry holding the later ones back. `clock_timestamp()` orders the jobs of one transaction. Every
 * attempt is kept; `failing_since` marks an endpoint whose deliveries have failed since then.
 */
export class Migration20261208020000_webhook_deliveries extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table webhook_endpoint add column failing_since timestamptz;`);
    this.addSql(`create table webhook_attempt (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      endpoint_id uuid not null references webhook_endpoint(id) on delete cascade,
      event_id uuid not null,
      attempt integer not null check (attempt >= 1),
      succeeded boolean not null,
      response_status integer,
      response_body text,
      error text,
      duration_ms double precision not null,
      created_at timestamptz not null
    );`);
    this.addSql(`create index webhook_attempt_endpoint_idx on webhook_attempt (tenant_id, endpoint_id, created_at desc, id desc);`);
    this.addSql(`create function webhook_deliveries() returns trigger language plpgsql as $$
      begin
        insert into job (id, tenant_id, kind, payload, serial_key, status, attempts, max_attempts, run_at, created_at)
        select gen_random_uuid(), new.tenant_id, 'webhook.deliver', jsonb_build_object('endpointId', e.id, 'eventId', new.id),
               'webhook:' || e.id || ':' || new.entity_id, 'pending', 0, 8, now(), clock_timestamp()
          from webhook_endpoint e
         where e.tenant_id = new.tenant_id and e.enabled
           and exists (select 1 from unnest(e.event_types) wanted
                        where wanted = '*' or wanted = new.type or (right(wanted, 2) = '.*' and starts_with(new.type, left(wanted, -1))));
        return null;
      end $$;`);
    this.addSql(`create trigger domain_event_webhooks after insert on domain_event for each row execute function webhook_deliveries();`);
  }
}
