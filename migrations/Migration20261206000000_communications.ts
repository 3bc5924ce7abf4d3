import { Migration } from '@mikro-orm/migrations';

/**
 * Every message in or out, on any channel and from any sender, is one `communication` (the table
 * `message` renamed; a conversation's thread is the communications linked to it). Its status may now
 * be `unknown` (a delivery interrupted mid-request: maybe sent, never resent), and every status a
 * provider reports is kept, once per communication and status, in `communication_status`.
 * Conversations may be email threads too, whose communications have a subject; a WhatsApp message may
 * be an approved Content template (its SID and variables: how a clinic writes first outside the
 * 24-hour session).
 */
export class Migration20261206000000_communications extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table message rename to communication;`);
    this.addSql(`alter index message_thread_idx rename to communication_thread_idx;`);
    this.addSql(`alter index message_channel_id_unique rename to communication_channel_id_unique;`);
    this.addSql(`alter table communication rename constraint message_pkey to communication_pkey;`);
    this.addSql(`alter table communication rename constraint message_direction_check to communication_direction_check;`);
    this.addSql(`alter table communication rename constraint message_author_kind_check to communication_author_kind_check;`);
    this.addSql(`alter table communication add column subject text;`);
    this.addSql(`alter table communication add column content_sid text, add column content_variables jsonb;`);
    this.addSql(`alter table communication drop constraint message_status_check;`);
    this.addSql(`alter table communication add constraint communication_status_check
      check (status in ('received', 'queued', 'sending', 'unknown', 'sent', 'delivered', 'read', 'failed', 'undelivered', 'not_sent'));`);

    this.addSql(`create table communication_status (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      communication_id uuid not null references communication(id) on delete cascade deferrable initially deferred,
      status text not null,
      provider_status text not null,
      error text,
      reported_at timestamptz not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint communication_status_once unique (communication_id, status)
    );`);

    this.addSql(`alter table conversation drop constraint conversation_channel_check;`);
    this.addSql(`alter table conversation add constraint conversation_channel_check check (channel in ('whatsapp', 'sms', 'voice', 'chat', 'email'));`);
  }
}
