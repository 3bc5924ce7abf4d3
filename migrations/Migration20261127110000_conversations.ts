import { Migration } from '@mikro-orm/migrations';

/** Conversations with patients over WhatsApp, SMS, voice and the terminal chat; the agent's turns; Twilio settings. */
export class Migration20261127110000_conversations extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table conversation (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      channel text not null check (channel in ('whatsapp', 'sms', 'voice', 'chat')),
      contact text not null,
      clinic_address text,
      patient_id uuid references patient(id) deferrable initially deferred,
      verified_until timestamptz,
      status text not null check (status in ('open', 'closed')),
      handled_by text not null check (handled_by in ('bot', 'staff')),
      handoff_ticket_id uuid references ticket(id) deferrable initially deferred,
      opted_out_at timestamptz,
      state jsonb not null default '{}',
      last_message_at timestamptz,
      closed_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint conversation_contact_unique unique (tenant_id, channel, contact)
    );`);
    this.addSql(`create index conversation_recent_idx on conversation (tenant_id, last_message_at desc nulls last, id desc);`);
    this.addSql(`create index conversation_patient_idx on conversation (tenant_id, patient_id);`);

    this.addSql(`create table message (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      conversation_id uuid not null references conversation(id) deferrable initially deferred,
      direction text not null check (direction in ('inbound', 'outbound')),
      author_kind text not null check (author_kind in ('patient', 'bot', 'staff', 'system')),
      author_id text,
      body text not null,
      media jsonb not null default '[]',
      channel_message_id text,
      status text not null check (status in ('received', 'queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'undelivered', 'not_sent')),
      error text,
      created_at timestamptz not null,
      sent_at timestamptz,
      delivered_at timestamptz,
      updated_at timestamptz not null,
      constraint message_channel_id_unique unique (tenant_id, channel_message_id)
    );`);
    this.addSql(`create index message_thread_idx on message (conversation_id, created_at, id);`);

    this.addSql(`create table agent_turn (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      conversation_id uuid not null references conversation(id) deferrable initially deferred,
      inbound_message_id uuid references message(id) deferrable initially deferred,
      mode text not null check (mode in ('model', 'guided')),
      model text,
      outcome text not null,
      fallback_reason text,
      steps jsonb not null default '[]',
      reply_message_id uuid references message(id) deferrable initially deferred,
      duration_ms double precision not null,
      started_at timestamptz not null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create index agent_turn_conversation_idx on agent_turn (conversation_id, started_at);`);
    // One turn per inbound message: a turn re-run after a crash cannot answer twice.
    this.addSql(`create unique index agent_turn_inbound_unique on agent_turn (inbound_message_id) where inbound_message_id is not null;`);

    this.addSql(`create table twilio_account (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      account_sid text not null,
      auth_token text not null,
      phone_number text,
      whatsapp_number text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint twilio_account_tenant_unique unique (tenant_id),
      constraint twilio_account_phone_unique unique (phone_number),
      constraint twilio_account_whatsapp_unique unique (whatsapp_number)
    );`);
  }
}
