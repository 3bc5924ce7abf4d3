import { Migration } from '@mikro-orm/migrations';

/**
 * Failed identity checks counted per clinic and phone number, not per conversation: WhatsApp, SMS and
 * voice are three conversations of one number, and a lockout of one of them only sent a guesser to the
 * next. The row is locked while an attempt is counted, so concurrent attempts are counted one by one.
 */
export class Migration20261201010000_verification_lockout extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table verification_lockout (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      contact text not null,
      failures integer not null check (failures >= 0),
      locked_until timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint verification_lockout_contact_unique unique (tenant_id, contact)
    );`);
  }
}
