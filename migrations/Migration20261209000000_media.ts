import { Migration } from '@mikro-orm/migrations';

/**
 * Media: uploaded files (photos, PDFs, voice notes). One row per upload; the bytes are stored once per
 * clinic and SHA-256 (the object key is derived from both), so rows with the same hash share one
 * object. Soft-deleted rows stay; an object no live row of its clinic uses is purged by a job.
 */
export class Migration20261209000000_media extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table media (
      id uuid primary key,
      tenant_id uuid not null references tenant(id) deferrable initially deferred,
      sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
      size_bytes integer not null check (size_bytes > 0),
      content_type text not null,
      original_name text check (length(original_name) <= 255),
      uploaded_by_kind text not null,
      uploaded_by_id text not null,
      patient_id uuid references patient(id) deferrable initially deferred,
      conversation_id uuid,
      message_id uuid,
      ticket_id uuid references ticket(id) deferrable initially deferred,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      deleted_at timestamptz
    );`);
    this.addSql(`create index media_list_idx on media (tenant_id, created_at desc, id desc) where deleted_at is null;`);
    this.addSql(`create index media_object_idx on media (tenant_id, sha256) where deleted_at is null;`);
    this.addSql(`create index media_patient_idx on media (tenant_id, patient_id) where patient_id is not null;`);
    this.addSql(`create index media_conversation_idx on media (tenant_id, conversation_id) where conversation_id is not null;`);
    this.addSql(`create index media_ticket_idx on media (tenant_id, ticket_id) where ticket_id is not null;`);
    this.addSql(`create index media_message_idx on media (tenant_id, message_id) where message_id is not null;`);
  }
}
