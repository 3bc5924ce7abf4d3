import type { Section } from '../section.js';
import { agentTurns } from './agent-turns.js';
import { embedding } from './embedding.js';
import { intake } from './intake.js';
import { journeys } from './journeys.js';
import { fhir } from './fhir.js';
import { media } from './media.js';
import { notifications } from './notifications.js';
import { restLoad } from './rest-load.js';
import { runnerCost } from './runner-cost.js';
import { slotSearch } from './slot-search.js';
import { vectorSearch } from './vector-search.js';
import { webhooks } from './webhooks.js';

/** Every section, in report order. A new section: a file here exporting a `Section`, added to this list. */
export const sections: Section[] = [restLoad, runnerCost, slotSearch, agentTurns, notifications, webhooks, media, intake, journeys, fhir, embedding, vectorSearch];
