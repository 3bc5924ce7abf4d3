import { Migration20261127000000_foundation } from './Migration20261127000000_foundation.js';
import { Migration20261127100000_jobs } from './Migration20261127100000_jobs.js';
import { Migration20261127110000_conversations } from './Migration20261127110000_conversations.js';
import { Migration20261127120000_vector } from './Migration20261127120000_vector.js';
import { Migration20261128000000_message_updates } from './Migration20261128000000_message_updates.js';
import { Migration20261201000000_twilio_numbers } from './Migration20261201000000_twilio_numbers.js';
import { Migration20261201010000_verification_lockout } from './Migration20261201010000_verification_lockout.js';
import { Migration20261201020000_conversation_history_from } from './Migration20261201020000_conversation_history_from.js';
import { Migration20261202000000_message_templates } from './Migration20261202000000_message_templates.js';
import { Migration20261206000000_communications } from './Migration20261206000000_communications.js';
import { Migration20261207000000_notifications } from './Migration20261207000000_notifications.js';
import { Migration20261208000000_event_feed } from './Migration20261208000000_event_feed.js';
import { Migration20261208010000_webhook_endpoints } from './Migration20261208010000_webhook_endpoints.js';
import { Migration20261208020000_webhook_deliveries } from './Migration20261208020000_webhook_deliveries.js';
import { Migration20261208030000_webhook_callbacks } from './Migration20261208030000_webhook_callbacks.js';
import { Migration20261209000000_media } from './Migration20261209000000_media.js';
import { Migration20261209010000_media_source } from './Migration20261209010000_media_source.js';
import { Migration20261210000000_intake } from './Migration20261210000000_intake.js';
import { Migration20261211000000_journeys } from './Migration20261211000000_journeys.js';

/** Every migration, oldest first. A new migration file is added here as well. */
export const migrationsList = [
  { name: 'Migration20261127000000_foundation', class: Migration20261127000000_foundation },
  { name: 'Migration20261127100000_jobs', class: Migration20261127100000_jobs },
  { name: 'Migration20261127110000_conversations', class: Migration20261127110000_conversations },
  { name: 'Migration20261127120000_vector', class: Migration20261127120000_vector },
  { name: 'Migration20261128000000_message_updates', class: Migration20261128000000_message_updates },
  { name: 'Migration20261201000000_twilio_numbers', class: Migration20261201000000_twilio_numbers },
  { name: 'Migration20261201010000_verification_lockout', class: Migration20261201010000_verification_lockout },
  { name: 'Migration20261201020000_conversation_history_from', class: Migration20261201020000_conversation_history_from },
  { name: 'Migration20261202000000_message_templates', class: Migration20261202000000_message_templates },
  { name: 'Migration20261206000000_communications', class: Migration20261206000000_communications },
  { name: 'Migration20261207000000_notifications', class: Migration20261207000000_notifications },
  { name: 'Migration20261208000000_event_feed', class: Migration20261208000000_event_feed },
  { name: 'Migration20261208010000_webhook_endpoints', class: Migration20261208010000_webhook_endpoints },
  { name: 'Migration20261208020000_webhook_deliveries', class: Migration20261208020000_webhook_deliveries },
  { name: 'Migration20261208030000_webhook_callbacks', class: Migration20261208030000_webhook_callbacks },
  { name: 'Migration20261209000000_media', class: Migration20261209000000_media },
  { name: 'Migration20261209010000_media_source', class: Migration20261209010000_media_source },
  { name: 'Migration20261210000000_intake', class: Migration20261210000000_intake },
  { name: 'Migration20261211000000_journeys', class: Migration20261211000000_journeys },
];
