import type { MetadataStorage } from '@mikro-orm/core';
import { entityColumns, perOrm } from '../../db/columns.js';
import type { Statement } from '../../db/statement.js';
import { Journey } from './entities.js';

/**
 * The journeys' SQL outside the ORM: the consumer's read of the journeys an event may trigger, which
 * runs for every event about a patient. Plain rows, not entities: nothing read here is changed (a
 * clinic's 50 journeys made into entities cost the consumer a fifth of its time). The select list
 * comes from the entity's metadata; the statement names its tenant.
 */

type Metadata = { getMetadata(): MetadataStorage };

const TRIGGERED_PROPERTIES = ['id', 'name', 'publishedVersionId', 'publishedVersion'] as const;
export type TriggeredJourney = Pick<Journey, (typeof TRIGGERED_PROPERTIES)[number]>;

const columns = perOrm((orm) => entityColumns(orm, Journey, { alias: 'j', prefix: '', properties: TRIGGERED_PROPERTIES }));

/** The clinic's published journeys whose trigger is an event of this type. */
export function journeysTriggeredBy(orm: Metadata, at: { tenantId: string; eventType: string }): Statement {
  return {
    sql: `select ${columns(orm).sql} from journey j where j.tenant_id = ? and j.trigger_event = ? and j.published_version_id is not null`,
    params: [at.tenantId, at.eventType],
  };
}

export const readTriggeredJourney = (orm: Metadata, row: Record<string, unknown>): TriggeredJourney => columns(orm).read(row);
