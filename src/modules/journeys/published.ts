import type { AppContext } from '../../context.js';
import type { JourneyDefinition } from './definition.js';
import { JourneyVersion } from './entities.js';

/**
 * Published definitions by version id. A published version never changes (the database refuses it),
 * so this process keeps what it read: the consumer tests every event against each published journey
 * its type triggers, and would otherwise read and parse all their definitions per event. Only ids the
 * caller found through the tenant's own journeys are looked up; a new version is a new id.
 */
const cache = new Map<string, JourneyDefinition>();
const MAX_CACHED = 2_000;

/** The definitions of these published versions, read from the database only the first time. */
export async function publishedDefinitions(ctx: AppContext, versionIds: readonly string[]): Promise<Map<string, JourneyDefinition>> {
  const missing = versionIds.filter((id) => !cache.has(id));
  if (missing.length > 0) {
    const versions = await ctx.em.find(JourneyVersion, { id: { $in: missing }, status: 'published' });
    if (cache.size + versions.length > MAX_CACHED) cache.clear();
    for (const version of versions) cache.set(version.id, version.definition);
  }
  return new Map(versionIds.flatMap((id) => (cache.has(id) ? [[id, cache.get(id)!] as const] : [])));
}
