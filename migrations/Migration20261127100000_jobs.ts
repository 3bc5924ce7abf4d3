import { Migration } from '@mikro-orm/migrations';

/** The job queue: work that must happen after a commit, durable across crashes. */
export class Migration20261127100000_jobs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table job (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      kind text not null,
      payload jsonb not null default '{}',
      serial_key text,
      status text not null check (status in ('pending', 'running', 'succeeded', 'failed')),
      attempts integer not null default 0,
      max_attempts integer not null default 5,
      run_at timestamptz not null,
      locked_until timestamptz,
      last_error text,
      created_at timestamptz not null,
      finished_at timestamptz
    );`);
    this.addSql(`create index job_ready_idx on job (created_at, id) where status in ('pending', 'running');`);
    this.addSql(`create index job_serial_idx on job (serial_key, created_at, id) where status in ('pending', 'running');`);
    this.addSql(`create index job_tenant_idx on job (tenant_id, kind, created_at);`);
  }
}
