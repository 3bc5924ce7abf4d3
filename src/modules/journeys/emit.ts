import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { JourneyInstance } from './entities.js';
import type { EmitEventInput, EmitEventOutput } from './schema.js';

/**
 * The family of the events a journey emits for the clinic's own systems: `journey.custom.<name>`. A
 * family of its own, so a webhook endpoint can subscribe to all of them (`journey.custom.*`) without
 * the journeys' own lifecycle events (`journey.enrolled`, …), and no name can pass for one of those.
 */
export const CUSTOM_EVENT_PREFIX = 'journey.custom.';

/**
 * Records `journey.custom.<name>` about the instance in the outbox, in the caller's transaction: webhook
 * endpoints subscribed to it get it, signed, like every other event (the outbox's delivery trigger).
 * Its payload carries ids only (journey, instance, patient, appointment): the delivery leaves text out.
 */
export async function emitJourneyEvent(ctx: AppContext, input: z.output<typeof EmitEventInput>): Promise<z.input<typeof EmitEventOutput>> {
  const instance = await ctx.em.findOne(JourneyInstance, { id: input.instanceId });
  if (!instance) throw notFound('Journey instance', input.instanceId);
  const type = `${CUSTOM_EVENT_PREFIX}${input.name}`;
  const event = recordEvent(ctx, {
    type,
    entityType: 'journey_instance',
    entityId: instance.id,
    payload: {
      journeyId: instance.journeyId,
      instanceId: instance.id,
      patientId: instance.patientId,
      ...(instance.appointmentId ? { appointmentId: instance.appointmentId } : {}),
    },
  });
  return { eventId: event.id, type, instanceId: instance.id };
}
