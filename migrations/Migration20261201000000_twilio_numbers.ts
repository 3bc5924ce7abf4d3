import { Migration } from '@mikro-orm/migrations';

/**
 * Which clinic a Twilio number belongs to. Inbound webhooks find their clinic by the number they were
 * sent to, so a number is one clinic's, whether as its SMS/voice number or as its WhatsApp sender:
 * the unique key on `number` holds across both (the per-column uniques of `twilio_account` could not),
 * and is the judge when two clinics claim a number at once. Numbers already set are claimed by the
 * account that set them first.
 */
export class Migration20261201000000_twilio_numbers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table twilio_number (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      number text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint twilio_number_taken unique (number)
    );`);
    this.addSql(`create index twilio_number_tenant_idx on twilio_number (tenant_id);`);
    this.addSql(`insert into twilio_number (id, tenant_id, number, created_at, updated_at)
      select gen_random_uuid(), tenant_id, number, first_set, first_set from (
        select distinct on (number) number, tenant_id, created_at as first_set from (
          select phone_number as number, tenant_id, created_at from twilio_account where phone_number is not null
          union all
          select whatsapp_number, tenant_id, created_at from twilio_account where whatsapp_number is not null
        ) numbers order by number, created_at
      ) claims;`);
  }
}
