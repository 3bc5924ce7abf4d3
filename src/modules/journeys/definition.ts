import { z } from 'zod';

/**
 * A journey's definition: what enrols a patient, what ends the journey early, and its stages, each
 * with its actions (tool calls) and its ways forward. Stored as JSON on the journey's version.
 */

const MINUTE = 60_000;
const UNIT_MS = { m: MINUTE, h: 60 * MINUTE, d: 24 * 60 * MINUTE } as const;
/** The longest delay either way: a year ahead, 30 days before an appointment. */
export const MAX_DELAY_MS = 365 * UNIT_MS.d;
export const MAX_BEFORE_APPOINTMENT_MS = 30 * UNIT_MS.d;

const DELAY = /^(-?)(\d{1,6})([mhd])$/;

/** `48h` → 172,800,000; `-2d` → -172,800,000; `90m` → 5,400,000. */
export function delayMs(delay: string): number {
  const match = DELAY.exec(delay);
  if (!match) throw new Error(`Not a delay: ${delay}`);
  const [, sign, amount, unit] = match;
  return (sign === '-' ? -1 : 1) * Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

const StageKey = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,59}$/, 'lowercase letters, digits, - and _, starting with a letter (at most 60)')
  .describe('The stage’s key, unique in the journey (`prepare`, `follow-up`).');

const FilterValue = z.union([z.string().max(200), z.number(), z.boolean()]);
const Where = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_.]{0,79}$/, 'a field name, dotted for nested fields'), z.union([FilterValue, z.array(FilterValue).min(1).max(50)]))
  .describe(
    'Only events whose fields have these values (a list: any of them). Fields are the event’s payload (`channel`, `direction`, `patientId`); for appointment events, `appointment.reason`, `appointment.practitionerId`, `appointment.locationId`, `appointment.status`; for a patient’s message (communication.created, inbound), `message.text` (the whole text), `message.words` (holds a value when the text has that word) and `message.channel`, compared without regard to case.',
  );

export const EventMatch = z
  .strictObject({
    event: z.string().max(100).describe('An event type the service records, for example appointment.booked or communication.created.'),
    where: Where.optional(),
  })
  .describe('An event, optionally with a filter on its fields.');
export type EventMatch = z.infer<typeof EventMatch>;

const Trigger = z
  .discriminatedUnion('kind', [
    EventMatch.extend({ kind: z.literal('event').describe('Enrol the event’s patient when the event happens.') }),
    z.strictObject({ kind: z.literal('manual').describe('Staff enrol patients themselves.') }),
  ])
  .describe('What enrols a patient: an event (with a filter) or staff by hand. Staff can enrol by hand either way.');

export const Delay = z
  .string()
  .regex(DELAY, 'a whole number of minutes, hours or days: 90m, 48h, 3d, or negative before an appointment: -48h')
  .describe('How long: 90m, 48h, 3d; negative (-48h) only before the appointment.');

const After = z
  .strictObject({
    delay: Delay,
    from: z
      .enum(['stage', 'enrolment', 'appointment'])
      .default('stage')
      .describe('What the delay counts from: the stage’s start (default), the enrolment, or the start of the appointment the instance is about.'),
  })
  .describe('Move on after a delay. A time already past moves on at once.');

const Way = z
  .strictObject({
    to: StageKey.describe('The stage to move to.'),
    on: EventMatch.optional().describe('Move on when this event about the patient happens (about the instance’s appointment, for appointment events).'),
    after: After.optional(),
  })
  .refine((way) => way.on !== undefined || way.after !== undefined, { message: 'give on (an event), after (a delay), or both: whichever comes first', path: ['on'] })
  .describe('A way forward: on an event, after a delay, or both (whichever comes first).');
export type Way = z.infer<typeof Way>;

export const Action = z
  .strictObject({
    tool: z.string().max(100).describe('The operation to call (send_notification, create_ticket, add_ticket_note, update_ticket, create_intake_session, emit_journey_event).'),
    input: z
      .record(z.string(), z.unknown())
      .default({})
      .describe(
        'The operation’s input. patientId (and appointmentId, when the instance has one and the operation takes it) are filled in; text may say {{patientId}}, {{appointmentId}}, {{instanceId}} or {{ticketId}} (the last ticket this instance created).',
      ),
  })
  .describe('A tool call, run through the runner as the journey (checked, scoped and logged like any call).');
export type Action = z.infer<typeof Action>;

export const Stage = z
  .strictObject({
    key: StageKey,
    name: z.string().trim().min(1).max(200).describe('What the stage is, for people.'),
    actions: z.array(Action).max(20).default([]).describe('Run in order when the stage starts.'),
    next: z.array(Way).max(10).default([]).describe('Ways forward; none: the journey is complete once the stage’s actions ran.'),
  })
  .describe('A stage of the journey.');
export type Stage = z.infer<typeof Stage>;

export const JourneyDefinition = z
  .strictObject({
    trigger: Trigger,
    role: z.enum(['staff', 'agent']).default('staff').describe('The role the journey’s actions run with: they may call only what this role may.'),
    channel: z.enum(['whatsapp', 'sms', 'email']).optional().describe('The journey’s channel: a STOP (consent revoked) on it ends the journey. Omitted: a revocation on any channel does.'),
    reenrol: z.boolean().default(true).describe('May a patient enrol again once an earlier instance ended (default true)?'),
    exits: z.array(EventMatch).max(20).default([]).describe('More events that end an instance (besides its appointment cancelled, the patient deleted or merged, consent revoked).'),
    stages: z.array(Stage).min(1).max(50).describe('The stages; a patient starts in the first.'),
  })
  .describe('A journey’s definition.');
export type JourneyDefinition = z.output<typeof JourneyDefinition>;
