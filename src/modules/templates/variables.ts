import { z } from 'zod';

/**
 * What a template may say: the rendering context, defined once. Publishing refuses any variable
 * outside it (so a typo is caught before a patient sees it), the context builder fills it, and the
 * README and the tools' descriptions list it from here.
 */

const Text = z.string();

/** Names of the caller's own values (`values.<name>`): identifiers, never JavaScript's object machinery. */
const RESERVED_VALUE_NAMES = new Set(['constructor', 'prototype', '__proto__', 'toString', 'valueOf', 'hasOwnProperty']);
export const ValueName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a letter, then letters, digits or underscores (at most 64)')
  .refine((name) => !RESERVED_VALUE_NAMES.has(name), 'a reserved name');

export const TemplateContext = z.object({
  patient: z.object({
    givenName: Text.describe('Given (first) name.'),
    familyName: Text.describe('Family name.'),
    preferredName: Text.describe('The name they go by; their given name when none is recorded.'),
    fullName: Text.describe('Given and family name.'),
  }),
  appointment: z.object({
    startLocal: Text.describe('Date and time in the clinic’s time zone, written out in the template’s locale ("Tuesday, December 1, 2026 at 9:00 AM").'),
    date: Text.describe('The date, written out in the template’s locale ("Tuesday, December 1, 2026").'),
    time: Text.describe('The clinic-local start time in the template’s locale ("9:00 AM", "9:00").'),
    practitionerName: Text.describe('The practitioner’s name.'),
    locationName: Text.describe('The location’s name.'),
    locationAddress: Text.describe('The location’s address (none when the location has no address).'),
  }),
  clinic: z.object({
    name: Text.describe('The clinic’s name.'),
    phone: Text.describe('The clinic’s phone (none until set in the clinic profile).'),
    address: Text.describe('The clinic’s address (none until set in the clinic profile).'),
  }),
  values: z.record(ValueName, Text).describe('The caller’s own values, by name: `values.<name>`.'),
});

const groups = { patient: TemplateContext.shape.patient, appointment: TemplateContext.shape.appointment, clinic: TemplateContext.shape.clinic };
type GroupName = keyof typeof groups;

/**
 * The context as a render has it: every group may lack fields (no appointment, no clinic phone);
 * a template that uses a field with no value is refused before anything is rendered. The context
 * builder's result is parsed with it, so the builder cannot drift from the variables publishing allows.
 */
export const KnownValues = z.strictObject({
  patient: groups.patient.partial().strict(),
  appointment: groups.appointment.partial().strict(),
  clinic: groups.clinic.partial().strict(),
  values: TemplateContext.shape.values,
});
export type KnownValues = z.infer<typeof KnownValues>;

const groupNames = Object.keys(groups) as GroupName[];

/** Every variable a template may use, with what it holds; `values.<name>` stands for any of the caller's values. */
export const templateVariables: { name: string; description: string }[] = [
  ...groupNames.flatMap((group) =>
    Object.entries(groups[group].shape).map(([field, schema]) => ({ name: `${group}.${field}`, description: schema.description ?? '' })),
  ),
  { name: 'values.<name>', description: TemplateContext.shape.values.description ?? '' },
];

/** A variable as the template analysis gives it: its path, where a segment can itself be a variable (`a[b.c]`). */
export type VariablePath = readonly (string | number | object)[];

/** The variable's name when the context defines it (`patient.givenName`, `values.code`), else undefined. */
export function knownVariable(segments: VariablePath): string | undefined {
  if (segments.length !== 2) return undefined;
  const [group, field] = segments;
  if (typeof group !== 'string' || typeof field !== 'string') return undefined;
  if (group === 'values') return ValueName.safeParse(field).success ? `values.${field}` : undefined;
  if (!Object.hasOwn(groups, group)) return undefined;
  return Object.hasOwn(groups[group as GroupName].shape, field) ? `${group}.${field}` : undefined;
}

/** True when the variable (a name `knownVariable` gave) has a value in this context. */
export function hasValue(context: KnownValues, variable: string): boolean {
  const [group, field] = variable.split('.') as [GroupName | 'values', string];
  const values: Record<string, unknown> = context[group];
  return Object.hasOwn(values, field) && typeof values[field] === 'string';
}
