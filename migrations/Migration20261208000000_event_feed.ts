import { Migration } from '@mikro-orm/migrations';

/** The clinic's event feed (`GET /events`) reads a tenant's events in the order they happened. */
export class Migration20261208000000_event_feed extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index domain_event_feed_idx on domain_event (tenant_id, occurred_at, id);`);
  }
}
