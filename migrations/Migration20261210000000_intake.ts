import { Migration } from '@mikro-orm/migrations';

/**
 * Clinical intake: a session per patient (optionally per appointment), its records in one typed table
 * (`kind` and a JSON `data` the service validates per kind), each unique per session by the client's
 * own id so a form or a chat can resend it, and the summary of a submitted session.
 */
export class Migration20261210000000_intake extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table intake_session (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      patient_id uuid not null references patient(id) deferrable initially deferred,
      appointment_id uuid references appointment(id) deferrable initially deferred,
      conversation_id uuid,
      channel text check (channel in ('whatsapp', 'sms', 'voice', 'email')),
      status text not null check (status in ('open', 'submitted', 'reviewed')),
      rev integer not null check (rev >= 0),
      record_count integer not null check (record_count >= 0),
      created_by_kind text not null,
      created_by_id text not null,
      submitted_at timestamptz,
      reviewed_at timestamptz,
      reviewed_by_id text,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create index intake_session_list_idx on intake_session (tenant_id, created_at desc, id desc);`);
    this.addSql(`create index intake_session_patient_idx on intake_session (tenant_id, patient_id, created_at desc);`);
    this.addSql(`create index intake_session_status_idx on intake_session (tenant_id, status, created_at desc);`);
    this.addSql(`create index intake_session_appointment_idx on intake_session (tenant_id, appointment_id) where appointment_id is not null;`);

    this.addSql(`create table intake_record (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      session_id uuid not null references intake_session(id) deferrable initially deferred,
      client_item_id text not null check (length(client_item_id) between 1 and 200),
      kind text not null check (kind in ('chief_complaint', 'symptom', 'allergy', 'no_known_allergies', 'medication', 'no_medications',
        'condition', 'family_history', 'social_history', 'note')),
      data jsonb not null check (jsonb_typeof(data) = 'object'),
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create unique index intake_record_item_idx on intake_record (tenant_id, session_id, client_item_id);`);

    this.addSql(`create table intake_summary (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      session_id uuid not null references intake_session(id) deferrable initially deferred,
      state text not null check (state in ('pending', 'written', 'edited')),
      source text check (source in ('model', 'records')),
      model text,
      statements jsonb not null check (jsonb_typeof(statements) = 'array'),
      dropped_statements integer not null check (dropped_statements >= 0),
      fallback_reason text,
      generated_at timestamptz,
      edited_at timestamptz,
      edited_by_id text,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create unique index intake_summary_session_idx on intake_summary (tenant_id, session_id);`);
  }
}
