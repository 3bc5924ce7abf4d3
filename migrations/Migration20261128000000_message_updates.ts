import { Migration } from '@mikro-orm/migrations';

/**
 * Messages change status several times after they are written (queued, sending, sent, delivered),
 * three times within a second for every reply:
 * - The channel id's uniqueness covers only messages that have one. Replies start without it, and as
 *   a unique index on (tenant_id, channel_message_id) every version of every unsent reply was an
 *   entry with a null key, all in one ever-growing run of equal keys. Leading with the channel id, it
 *   also serves Twilio's status callbacks, which know the MessageSid but not the clinic.
 * - Pages keep room for the status updates, so they stay on the row's page (HOT) instead of adding
 *   entries to every index.
 */
export class Migration20261128000000_message_updates extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table message drop constraint message_channel_id_unique;`);
    this.addSql(`create unique index message_channel_id_unique on message (channel_message_id, tenant_id) where channel_message_id is not null;`);
    this.addSql(`alter table message set (fillfactor = 85);`);
  }
}
