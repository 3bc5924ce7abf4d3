import { LockMode } from '@mikro-orm/core';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { newId } from '../../ids.js';
import { after, decodeCursor, page } from '../../db/pagination.js';
import { conflict, notFound, unprocessable } from '../../errors.js';
import type { JourneyDefinition } from './definition.js';
import { Journey, JourneyVersion } from './entities.js';
import type { CreateJourneyInput, ListJourneysInput, UpdateJourneyDraftInput } from './schema.js';
import { validateDefinition } from './validate.js';
import { journeyView, versionView } from './views.js';

/** The clinic's journey with this id, or 404. */
export async function requireJourney(ctx: AppContext, id: string, options: { forUpdate?: boolean } = {}): Promise<Journey> {
  const journey = await ctx.em.findOne(Journey, { id }, options.forUpdate ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  if (!journey) throw notFound('Journey', id);
  return journey;
}

/** A journey with its versions, newest first. */
export async function getJourney(ctx: AppContext, id: string) {
  const journey = await requireJourney(ctx, id);
  const versions = await ctx.em.find(JourneyVersion, { journeyId: id }, { orderBy: [{ version: 'desc' }] });
  return { ...journeyView(journey), versions: versions.map(versionView) };
}

/** Creates a journey with its definition as draft version 1 (checked first: 422 naming the stage and field, nothing saved). */
export async function createJourney(ctx: AppContext, input: z.output<typeof CreateJourneyInput>) {
  await validateDefinition(ctx, input.definition);
  if ((await ctx.em.count(Journey, { name: input.name })) > 0) throw conflict(`The clinic already has a journey named ${input.name}.`);
  const now = ctx.clock.now();
  const journey = ctx.em.create(Journey, {
    id: newId(),
    tenantId: ctx.tenant.id,
    name: input.name,
    description: input.description ?? null,
    latestVersion: 1,
    publishedVersion: null,
    publishedVersionId: null,
    triggerEvent: null,
    createdAt: now,
    updatedAt: now,
  });
  newDraft(ctx, journey, input.definition, 1);
  return getJourneyAfterFlush(ctx, journey.id);
}

function newDraft(ctx: AppContext, journey: Journey, definition: JourneyDefinition, version: number): JourneyVersion {
  const now = ctx.clock.now();
  return ctx.em.create(JourneyVersion, { id: newId(), tenantId: ctx.tenant.id, journeyId: journey.id, version, status: 'draft', definition, publishedAt: null, publishedById: null, createdAt: now, updatedAt: now });
}

async function getJourneyAfterFlush(ctx: AppContext, id: string) {
  await ctx.em.flush();
  return getJourney(ctx, id);
}

/** Replaces the journey's draft (or starts one after its latest version); published versions stay as they are. */
export async function updateJourneyDraft(ctx: AppContext, input: z.output<typeof UpdateJourneyDraftInput>) {
  const journey = await requireJourney(ctx, input.id, { forUpdate: true });
  await validateDefinition(ctx, input.definition);
  const draft = await ctx.em.findOne(JourneyVersion, { journeyId: journey.id, status: 'draft' });
  if (draft) {
    draft.definition = input.definition;
    draft.updatedAt = ctx.clock.now();
  } else {
    journey.latestVersion += 1;
    newDraft(ctx, journey, input.definition, journey.latestVersion);
  }
  if (input.description !== undefined) journey.description = input.description;
  journey.updatedAt = ctx.clock.now();
  return getJourneyAfterFlush(ctx, journey.id);
}

/**
 * Publishes the draft: it never changes again, and new enrolments get it. Instances already running
 * stay on their version. Checked again first: a template may have been withdrawn since it was saved.
 */
export async function publishJourney(ctx: AppContext, id: string) {
  const journey = await requireJourney(ctx, id, { forUpdate: true });
  const draft = await ctx.em.findOne(JourneyVersion, { journeyId: journey.id, status: 'draft' });
  if (!draft) throw unprocessable(`Journey ${journey.name} has no draft to publish.`, { latestVersion: journey.latestVersion });
  await validateDefinition(ctx, draft.definition);
  const now = ctx.clock.now();
  draft.status = 'published';
  draft.publishedAt = now;
  draft.publishedById = ctx.actor.id;
  draft.updatedAt = now;
  journey.publishedVersion = draft.version;
  journey.publishedVersionId = draft.id;
  journey.triggerEvent = draft.definition.trigger.kind === 'event' ? draft.definition.trigger.event : null;
  journey.updatedAt = now;
  return getJourneyAfterFlush(ctx, journey.id);
}

/** The clinic's journeys, newest first. */
export async function listJourneys(ctx: AppContext, input: z.output<typeof ListJourneysInput>) {
  const rows = await ctx.em.find(Journey, { ...after('createdAt', decodeCursor(input.cursor)) }, { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 });
  return page(rows, input.limit, (journey) => ({ at: journey.createdAt, id: journey.id }), journeyView);
}
