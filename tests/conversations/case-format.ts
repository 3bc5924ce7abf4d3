import { z } from 'zod';
import { appointmentStatuses } from '../../src/modules/appointments/entities.js';
import { ticketPriorities, ticketStatuses } from '../../src/modules/tickets/entities.js';

/**
 * The conversation suite's case file, as a zod schema: what a YAML file under cases/<task>/ may say.
 * Field names are snake_case; tool inputs are written as the operations take them (camelCase).
 * Strings may name the clinic's records as ${patient.KEY}, ${practitioner.KEY} or
 * ${appointment.REF}: the runner puts in the ids it created (see references.ts).
 */

export const tasks = [
  'book',
  'reschedule',
  'cancel',
  'confirm',
  'appointments',
  'clinic_questions',
  'handoff',
  'keywords',
  'verification',
  'unknown_number',
  'spanish',
  'dates',
  'media',
  'intake',
  'abuse',
] as const;
export const modes = ['guided', 'model'] as const;
export type Mode = (typeof modes)[number];

const Key = z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower case letters, digits and dashes');
const Text = z.string().min(1);
const LocalTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'clinic local time as YYYY-MM-DDTHH:MM');
const DateOnly = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
const Phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as +12125550123');
const listOf = <Item extends z.ZodType>(item: Item) => z.union([item, z.array(item)]).transform((value) => (Array.isArray(value) ? value : [value]));

// ---- the clinic ----------------------------------------------------------------------------------

const Practitioner = z.strictObject({
  name: Text,
  specialty: Text.optional(),
  weekdays: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5, 6, 7]).describe('1 = Monday … 7 = Sunday.'),
  hours: z.string().regex(/^\d{2}:\d{2}-\d{2}:\d{2}$/, 'HH:MM-HH:MM').default('09:00-17:00'),
  slot_minutes: z.number().int().min(5).max(240).default(30),
  location: Text.default('Harbor Street'),
});

const Patient = z.strictObject({
  given_name: Text,
  family_name: Text,
  date_of_birth: DateOnly,
  phone: Phone,
  preferred_language: Text.optional(),
});

const Appointment = z.strictObject({
  ref: Key.optional().describe('A name to refer to it by: ${appointment.REF}, `reminder: REF`.'),
  patient: Key,
  with: Key.describe('The practitioner’s key.'),
  at: LocalTime,
  status: z.enum(['booked', 'confirmed', 'cancelled']).default('booked'),
});

const Clinic = z.strictObject({
  name: Text.default('Harbor Clinic'),
  time_zone: Text.default('America/New_York'),
  address: Text.optional(),
  phone: Phone.optional(),
  hours: Text.optional(),
  policies: Text.optional(),
  verification: z.enum(['date_of_birth', 'date_of_birth_and_family_name']).optional(),
  practitioners: z.record(Key, Practitioner).default({}).describe('Added to the default Dr. Amelia Hart (key hart); a key of the default replaces it.'),
  patients: z.record(Key, Patient).default({}).describe('Added to the default Maria Gonzalez (key maria); a key of the default replaces her.'),
  appointments: z.array(Appointment).default([]),
  knowledge: z.array(z.strictObject({ title: Text, text: Text })).default([]),
});
export type ClinicData = z.output<typeof Clinic>;
export type PractitionerData = z.output<typeof Practitioner>;
export type PatientData = z.output<typeof Patient>;

/** What every case's clinic has unless it says otherwise (the clinic the guided tests use). */
export const defaultPractitioners: Record<string, PractitionerData> = {
  hart: Practitioner.parse({ name: 'Dr. Amelia Hart', specialty: 'family medicine' }),
};
export const defaultPatients: Record<string, PatientData> = {
  maria: { given_name: 'Maria', family_name: 'Gonzalez', date_of_birth: '1984-03-12', phone: '+12125550123' },
};

// ---- expectations --------------------------------------------------------------------------------

const Pattern = Text.describe('Text to find (case-sensitive), or /a regular expression/ with optional flags.');

const ToolExpectation = z.union([
  Text.transform((name) => ({ name })),
  z.strictObject({
    name: Text,
    status: z.enum(['ok', 'refused']).optional().describe('ok: it succeeded; refused: it failed or the runner rejected it.'),
    error: Text.optional().describe('The refusal’s error code: not_found, forbidden, invalid_input, conflict …'),
    input: z.record(z.string(), z.unknown()).optional().describe('Fields its input had, as logged (after the runner bound the patient).'),
  }),
]);
export type ToolExpectation = z.output<typeof ToolExpectation>;

const AppointmentState = z.strictObject({
  at: LocalTime,
  status: z.enum(appointmentStatuses).optional(),
  with: Key.optional(),
});

const StateCheck = z.strictObject({
  appointments: z.record(Key, z.array(AppointmentState)).optional().describe('Each named patient’s appointments, all of them, earliest first.'),
  tickets: z
    .array(z.strictObject({ category: Text.optional(), priority: z.enum(ticketPriorities).optional(), status: z.enum(ticketStatuses).optional() }))
    .optional()
    .describe('The conversation’s tickets, all of them, in any order.'),
  verified: z.boolean().optional().describe('Whether the conversation is verified now (as anyone).'),
  verified_as: Key.nullable().optional().describe('The patient the conversation is verified as now, or null.'),
  handled_by: z.enum(['bot', 'staff']).optional(),
  opted_out: z.boolean().optional(),
  patients_on_number: z
    .array(z.strictObject({ given_name: Text, family_name: Text, date_of_birth: DateOnly }))
    .optional()
    .describe('The patients with the `from` number, all of them, in any order.'),
});
export type StateCheck = z.output<typeof StateCheck>;

const expectationFields = {
  contains: listOf(Pattern).optional(),
  not_contains: listOf(Pattern).optional(),
  no_reply: z.literal(true).optional().describe('Nothing is sent back (opted out, handed to staff).'),
  tools: z.array(ToolExpectation).optional().describe('Tool runs of this turn that must be in the run log.'),
  no_tools: z.union([z.literal('*'), z.array(Text)]).optional().describe('Tools that must not have run in this turn; * for none at all.'),
  state: StateCheck.optional().describe('Checked after the turn.'),
};
const Expectations = z.strictObject(expectationFields);
export type Expectations = z.output<typeof Expectations>;

const ModelStep = z.union([
  z.strictObject({ call: Text, input: z.record(z.string(), z.unknown()).default({}) }),
  z.strictObject({ reply: Text }),
]);
export type ModelStep = z.output<typeof ModelStep>;

const ModelTurn = z.strictObject({
  ...expectationFields,
  script: z
    .array(ModelStep)
    .min(1)
    .refine((steps) => 'reply' in steps[steps.length - 1] && steps.slice(0, -1).every((step) => 'call' in step), 'tool calls, then one reply last')
    .optional()
    .describe('What the scripted model answers, one step per request: tool calls, then the reply.'),
  shown: listOf(Pattern).optional().describe('Text the model was sent in this turn: prompt, conversation, tool results (not its own calls).'),
  never_shown: listOf(Pattern).optional().describe('Text the model was never sent in this turn.'),
});
export type ModelTurn = z.output<typeof ModelTurn>;

const Duration = z.string().regex(/^\d+[mhd]$/, 'minutes, hours or days: 31m, 2h, 1d');

const Turn = z
  .strictObject({
    say: z.string().optional().describe('What the patient writes.'),
    media: z.array(z.enum(['image/jpeg', 'application/pdf', 'audio/ogg'])).min(1).optional().describe('Files sent with the message.'),
    reminder: Key.optional().describe('Instead of a patient message: the clinic sends a reminder of this appointment.'),
    advance: Duration.optional().describe('The clock moves on this much before the turn.'),
    ...expectationFields,
    guided: Expectations.optional().describe('Expectations in guided mode only.'),
    model: ModelTurn.optional().describe('The model’s script, and expectations in model mode only.'),
  })
  .refine((turn) => (turn.reminder === undefined) !== (turn.say === undefined && turn.media === undefined), 'a turn is `say` (and/or `media`), or a `reminder`');
export type Turn = z.output<typeof Turn>;

export const Case = z.strictObject({
  task: z.enum(tasks),
  about: Text.optional().describe('One line: what the case shows.'),
  clock: z.iso.datetime().default('2026-11-25T12:00:00Z').describe('The instant the conversation starts (default: Wednesday 07:00 in New York).'),
  clinic: Clinic.default(Clinic.parse({})),
  channel: z.enum(['whatsapp', 'sms']).default('whatsapp'),
  from: z.union([Key, Phone]).default('maria').describe('A patient’s key (their phone), or an unknown E.164 number.'),
  modes: z.array(z.enum(modes)).min(1).optional().describe('Default: both when a turn has a model script, else guided.'),
  turns: z.array(Turn).min(1),
});
export type CaseFile = z.output<typeof Case>;
