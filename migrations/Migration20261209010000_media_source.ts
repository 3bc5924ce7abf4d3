import { Migration } from '@mikro-orm/migrations';

/**
 * Where a file fetched for an inbound message came from (Twilio's media URL): the fetch job skips a
 * file already stored when it runs again, and two runs cannot store it twice.
 */
export class Migration20261209010000_media_source extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table media add column source_url text;`);
    this.addSql(`create unique index media_source_idx on media (tenant_id, message_id, source_url) where source_url is not null;`);
  }
}
