import { Migration } from '@mikro-orm/migrations';

/**
 * Where the agent's reading of a conversation starts: messages before it belong to another patient
 * verified on the same number, or to a verification that has lapsed, and are not the sender's to see.
 */
export class Migration20261201020000_conversation_history_from extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table conversation add column history_from timestamptz;`);
  }
}
