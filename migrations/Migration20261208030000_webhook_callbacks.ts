import { Migration } from '@mikro-orm/migrations';

/**
 * n8n callbacks and test events. An endpoint may be given rights for the calls its workflows make back
 * (`POST /integrations/n8n/callbacks/{id}`): a role, and optionally the only tools it may run; without a
 * role it may make none. A `webhook.test` event goes to the one endpoint it tests, as a job of its own,
 * so the trigger leaves it out of every subscription.
 */
export class Migration20261208030000_webhook_callbacks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table webhook_endpoint
      add column callback_role text check (callback_role in ('staff', 'agent')),
      add column callback_tools text[] check (callback_tools is null or cardinality(callback_tools) between 1 and 100);`);
    this.addSql(`create or replace function webhook_deliveries() returns trigger language plpgsql as $$
      begin
        if new.type = 'webhook.test' then return null; end if;
        insert into job (id, tenant_id, kind, payload, serial_key, status, attempts, max_attempts, run_at, created_at)
        select gen_random_uuid(), new.tenant_id, 'webhook.deliver', jsonb_build_object('endpointId', e.id, 'eventId', new.id),
               'webhook:' || e.id || ':' || new.entity_id, 'pending', 0, 8, now(), clock_timestamp()
          from webhook_endpoint e
         where e.tenant_id = new.tenant_id and e.enabled
           and exists (select 1 from unnest(e.event_types) wanted
                        where wanted = '*' or wanted = new.type or (right(wanted, 2) = '.*' and starts_with(new.type, left(wanted, -1))));
        return null;
      end $$;`);
  }
}
