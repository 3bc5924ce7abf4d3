import { Migration } from '@mikro-orm/migrations';

/**
 * The foundation: tenancy, the run log, the outbox, patients, appointments, tickets.
 * Written by hand (not generated): exclusion constraints, generated columns and partial indexes are
 * beyond the generator, and the same SQL must run on Postgres 15 (server) and 18 (PGlite).
 */
export class Migration20261127000000_foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create extension if not exists btree_gist;`);
    this.addSql(`create extension if not exists pg_trgm;`);

    this.addSql(`create table tenant (
      id uuid primary key,
      slug text not null constraint tenant_slug_unique unique,
      name text not null,
      time_zone text not null,
      default_country text not null default 'US',
      profile jsonb not null default '{}',
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);

    this.addSql(`create table api_key (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      name text not null,
      role text not null check (role in ('admin', 'staff', 'agent')),
      prefix text not null,
      hash text not null constraint api_key_hash_unique unique,
      revoked_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create index api_key_tenant_idx on api_key (tenant_id);`);

    this.addSql(`create table tool_run (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      tool text not null,
      status text not null check (status in ('succeeded', 'failed', 'rejected')),
      actor_kind text not null,
      actor_id text not null,
      channel text not null,
      conversation_id uuid,
      request_id text,
      input jsonb,
      output jsonb,
      error_code text,
      error_message text,
      duration_ms double precision not null,
      started_at timestamptz not null,
      idempotency_key text,
      replay_of uuid
    );`);
    this.addSql(`create index tool_run_recent_idx on tool_run (tenant_id, started_at desc, id desc);`);
    this.addSql(`create index tool_run_tool_idx on tool_run (tenant_id, tool, started_at desc);`);
    this.addSql(`create unique index tool_run_idempotency_unique on tool_run (tenant_id, tool, idempotency_key)
      where idempotency_key is not null and status = 'succeeded' and replay_of is null;`);

    this.addSql(`create table domain_event (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      type text not null,
      entity_type text not null,
      entity_id uuid not null,
      payload jsonb not null default '{}',
      occurred_at timestamptz not null,
      processed_at timestamptz
    );`);
    this.addSql(`create index domain_event_pending_idx on domain_event (occurred_at, id) where processed_at is null;`);
    this.addSql(`create index domain_event_entity_idx on domain_event (tenant_id, entity_type, entity_id);`);

    this.addSql(`create table patient (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      given_name text not null,
      family_name text not null,
      preferred_name text,
      date_of_birth date not null,
      sex text not null default 'unknown' check (sex in ('female', 'male', 'other', 'unknown')),
      phone text,
      email text,
      address jsonb,
      preferred_language text,
      preferred_channel text,
      status text not null default 'active' check (status in ('active', 'merged', 'deleted')),
      merged_into_id uuid references patient(id) deferrable initially deferred,
      deleted_at timestamptz,
      search_name text generated always as (lower(given_name || ' ' || family_name)) stored,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create index patient_phone_idx on patient (tenant_id, phone);`);
    this.addSql(`create index patient_dob_idx on patient (tenant_id, date_of_birth);`);
    this.addSql(`create index patient_email_idx on patient (tenant_id, lower(email));`);
    this.addSql(`create index patient_name_trgm_idx on patient using gin (search_name gin_trgm_ops);`);

    this.addSql(`create table patient_identifier (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      patient_id uuid not null references patient(id) deferrable initially deferred,
      system text not null,
      value text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint patient_identifier_unique unique (tenant_id, system, value)
    );`);
    this.addSql(`create index patient_identifier_patient_idx on patient_identifier (patient_id);`);

    this.addSql(`create table patient_consent (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      patient_id uuid not null references patient(id) deferrable initially deferred,
      channel text not null,
      purpose text not null,
      status text not null check (status in ('granted', 'revoked')),
      source text not null,
      recorded_by text not null,
      note text,
      recorded_at timestamptz not null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create index patient_consent_patient_idx on patient_consent (tenant_id, patient_id, channel, purpose, recorded_at desc);`);

    this.addSql(`create table location (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      name text not null,
      address text,
      phone text,
      active boolean not null default true,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);

    this.addSql(`create table practitioner (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      name text not null,
      specialty text,
      email text,
      phone text,
      active boolean not null default true,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);

    this.addSql(`create table schedule_rule (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      practitioner_id uuid not null references practitioner(id) deferrable initially deferred,
      location_id uuid not null references location(id) deferrable initially deferred,
      weekday smallint not null check (weekday between 1 and 7),
      start_time text not null,
      end_time text not null,
      slot_minutes smallint not null check (slot_minutes between 5 and 480),
      valid_from date,
      valid_until date,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create index schedule_rule_practitioner_idx on schedule_rule (tenant_id, practitioner_id);`);

    this.addSql(`create table schedule_exception (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      practitioner_id uuid not null references practitioner(id) deferrable initially deferred,
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      reason text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check (ends_at > starts_at)
    );`);
    this.addSql(`create index schedule_exception_range_idx on schedule_exception (tenant_id, practitioner_id, starts_at);`);

    this.addSql(`create table appointment (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      patient_id uuid not null references patient(id) deferrable initially deferred,
      practitioner_id uuid not null references practitioner(id) deferrable initially deferred,
      location_id uuid not null references location(id) deferrable initially deferred,
      start_at timestamptz not null,
      end_at timestamptz not null,
      status text not null check (status in ('booked', 'confirmed', 'checked_in', 'completed', 'cancelled', 'no_show')),
      reason text,
      notes text,
      cancel_reason text,
      confirmed_at timestamptz,
      checked_in_at timestamptz,
      completed_at timestamptz,
      cancelled_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check (end_at > start_at),
      constraint appointment_no_overlap exclude using gist
        (practitioner_id with =, tstzrange(start_at, end_at) with &&)
        where (status not in ('cancelled', 'no_show')),
      constraint appointment_patient_no_overlap exclude using gist
        (patient_id with =, tstzrange(start_at, end_at) with &&)
        where (status not in ('cancelled', 'no_show'))
    );`);
    this.addSql(`create index appointment_practitioner_idx on appointment (tenant_id, practitioner_id, start_at);`);
    this.addSql(`create index appointment_patient_idx on appointment (tenant_id, patient_id, start_at);`);
    this.addSql(`create index appointment_start_idx on appointment (tenant_id, start_at);`);

    this.addSql(`create table ticket (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      subject text not null,
      description text,
      status text not null check (status in ('open', 'in_progress', 'waiting', 'resolved', 'closed')),
      priority text not null check (priority in ('low', 'normal', 'high', 'urgent')),
      category text not null,
      patient_id uuid references patient(id) deferrable initially deferred,
      conversation_id uuid,
      assignee text,
      created_by_kind text not null,
      created_by_id text not null,
      resolved_at timestamptz,
      closed_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create index ticket_list_idx on ticket (tenant_id, created_at desc, id desc);`);
    this.addSql(`create index ticket_patient_idx on ticket (tenant_id, patient_id);`);
    this.addSql(`create index ticket_status_idx on ticket (tenant_id, status, priority);`);

    this.addSql(`create table ticket_note (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      ticket_id uuid not null references ticket(id) deferrable initially deferred,
      author_kind text not null,
      author_id text not null,
      body text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create index ticket_note_ticket_idx on ticket_note (ticket_id, created_at);`);
  }
}
