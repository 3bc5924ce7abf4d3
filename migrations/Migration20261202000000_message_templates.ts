import { Migration } from '@mikro-orm/migrations';

/**
 * Message templates and their versions. A template is one clinic's (name, channel, locale); a
 * version is draft or published, at most one draft per template, and a published version is frozen:
 * the trigger refuses any change to it, so what was sent can always be shown as it was.
 */
export class Migration20261202000000_message_templates extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table message_template (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      name text not null,
      channel text not null check (channel in ('whatsapp', 'sms', 'email')),
      locale text not null,
      description text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint message_template_unique unique (tenant_id, name, channel, locale)
    );`);
    this.addSql(`create index message_template_recent_idx on message_template (tenant_id, created_at desc, id desc);`);

    this.addSql(`create table message_template_version (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      template_id uuid not null references message_template(id) deferrable initially deferred,
      version integer not null check (version >= 1),
      status text not null check (status in ('draft', 'published')),
      subject text,
      body text not null,
      content_sid text,
      content_variables jsonb,
      variables jsonb,
      published_at timestamptz,
      published_by_kind text,
      published_by_id text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint message_template_version_number_unique unique (template_id, version),
      constraint message_template_version_published_complete check (
        status = 'draft' or (published_at is not null and published_by_kind is not null and published_by_id is not null and variables is not null)
      )
    );`);
    this.addSql(`create unique index message_template_version_one_draft on message_template_version (template_id) where status = 'draft';`);

    this.addSql(`create function message_template_version_frozen() returns trigger language plpgsql as $$
      begin
        raise exception 'message_template_version %: a published version never changes', old.id using errcode = 'integrity_constraint_violation';
      end;
    $$;`);
    this.addSql(`create trigger message_template_version_frozen before update on message_template_version
      for each row when (old.status = 'published') execute function message_template_version_frozen();`);
  }
}
