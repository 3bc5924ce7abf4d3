import { Migration } from '@mikro-orm/migrations';

/**
 * Care journeys: a journey and its versions (a published one frozen by a trigger, at most one draft),
 * instances (at most one active or paused per patient and journey, by a partial unique index), and
 * each instance's append-only timeline, where an event or an action is recorded once (`dedupe_key`).
 */
export class Migration20261211000000_journeys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table journey (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      name text not null check (length(name) between 1 and 100),
      description text,
      latest_version integer not null check (latest_version >= 1),
      published_version integer,
      published_version_id uuid,
      trigger_event text,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create unique index journey_name_unique on journey (tenant_id, name);`);
    this.addSql(`create index journey_trigger_idx on journey (tenant_id, trigger_event) where published_version_id is not null;`);

    this.addSql(`create table journey_version (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      journey_id uuid not null references journey(id) deferrable initially deferred,
      version integer not null check (version >= 1),
      status text not null check (status in ('draft', 'published')),
      definition jsonb not null check (jsonb_typeof(definition) = 'object'),
      published_at timestamptz,
      published_by_id text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint journey_version_published_complete check (status = 'draft' or (published_at is not null and published_by_id is not null))
    );`);
    this.addSql(`create unique index journey_version_number_unique on journey_version (journey_id, version);`);
    this.addSql(`create unique index journey_version_one_draft on journey_version (journey_id) where status = 'draft';`);
    this.addSql(`create function journey_version_frozen() returns trigger language plpgsql as $$
      begin
        raise exception 'journey_version %: a published version never changes', old.id using errcode = 'integrity_constraint_violation';
      end;
    $$;`);
    this.addSql(`create trigger journey_version_frozen before update on journey_version
      for each row when (old.status = 'published') execute function journey_version_frozen();`);

    this.addSql(`create table journey_instance (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      journey_id uuid not null references journey(id) deferrable initially deferred,
      version_id uuid not null references journey_version(id) deferrable initially deferred,
      version integer not null,
      patient_id uuid not null references patient(id) deferrable initially deferred,
      appointment_id uuid references appointment(id) deferrable initially deferred,
      status text not null check (status in ('active', 'paused', 'completed', 'cancelled', 'exited')),
      current_stage text,
      stage_started_at timestamptz,
      stage_run integer not null check (stage_run >= 0),
      timer_token integer not null check (timer_token >= 0),
      stage_runs jsonb not null check (jsonb_typeof(stage_runs) = 'array'),
      enrolled_at timestamptz not null,
      enrol_event_id uuid,
      ended_at timestamptz,
      end_reason text,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create unique index journey_instance_one_live on journey_instance (tenant_id, journey_id, patient_id) where status in ('active', 'paused');`);
    this.addSql(`create unique index journey_instance_enrol_event on journey_instance (tenant_id, journey_id, enrol_event_id) where enrol_event_id is not null;`);
    this.addSql(`create index journey_instance_list_idx on journey_instance (tenant_id, created_at desc, id desc);`);
    this.addSql(`create index journey_instance_patient_idx on journey_instance (tenant_id, patient_id) where status in ('active', 'paused');`);
    this.addSql(`create index journey_instance_stats_idx on journey_instance (tenant_id, journey_id, status, current_stage);`);

    this.addSql(`create table journey_step (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      instance_id uuid not null references journey_instance(id) deferrable initially deferred,
      kind text not null check (kind in ('enrolled', 'stage_entered', 'action', 'event', 'timer', 'paused', 'resumed', 'advanced', 'replanned', 'completed', 'cancelled', 'exited', 'note')),
      stage text,
      summary text not null,
      detail jsonb not null check (jsonb_typeof(detail) = 'object'),
      tool_run_id uuid,
      event_id uuid,
      dedupe_key text,
      at timestamptz not null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create index journey_step_instance_idx on journey_step (tenant_id, instance_id, at, id);`);
    this.addSql(`create unique index journey_step_dedupe on journey_step (instance_id, dedupe_key) where dedupe_key is not null;`);
  }
}
