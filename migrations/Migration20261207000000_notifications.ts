import { Migration } from '@mikro-orm/migrations';

/**
 * Notifications the clinic sends first: one row per patient and message, pointing at the
 * `communication` that holds the message itself (its body and subject live only there). A
 * `dedupe_key` is unique per clinic where given. `send_pace` holds each clinic's next free sending
 * slot, so every process together keeps the clinic's send rate. A notification about an appointment
 * keeps the start it was written for: one whose appointment moved or ended is not sent.
 */
export class Migration20261207000000_notifications extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table notification (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      patient_id uuid not null references patient(id) deferrable initially deferred,
      channel text not null check (channel in ('whatsapp', 'sms', 'email')),
      purpose text not null check (purpose in ('care_messages', 'appointment_reminders', 'marketing')),
      communication_id uuid not null references communication(id) deferrable initially deferred,
      template_id uuid references message_template(id) deferrable initially deferred,
      template_version integer check (template_version >= 1),
      appointment_id uuid references appointment(id) deferrable initially deferred,
      appointment_starts_at timestamptz,
      send_at timestamptz not null,
      dedupe_key text,
      batch_id uuid,
      state text not null check (state in ('scheduled', 'dispatched', 'cancelled', 'skipped')),
      skip_reason text,
      dispatched_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint notification_communication_unique unique (communication_id),
      constraint notification_template_complete check ((template_id is null) = (template_version is null)),
      constraint notification_skip_reason check ((state = 'skipped') = (skip_reason is not null)),
      constraint notification_dispatched_complete check (state <> 'dispatched' or dispatched_at is not null),
      constraint notification_appointment_complete check ((appointment_id is null) = (appointment_starts_at is null))
    );`);
    this.addSql(`create unique index notification_dedupe_unique on notification (tenant_id, dedupe_key) where dedupe_key is not null;`);
    this.addSql(`create index notification_list_idx on notification (tenant_id, send_at desc, id desc);`);
    this.addSql(`create index notification_patient_idx on notification (tenant_id, patient_id, send_at desc);`);
    this.addSql(`create index notification_batch_idx on notification (tenant_id, batch_id) where batch_id is not null;`);
    this.addSql(`create index notification_appointment_idx on notification (tenant_id, appointment_id) where appointment_id is not null;`);

    this.addSql(`create table send_pace (
      tenant_id uuid primary key references tenant(id) deferrable initially deferred,
      next_at timestamptz not null
    );`);
  }
}
