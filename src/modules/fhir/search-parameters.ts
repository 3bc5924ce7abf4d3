import type { ResourceType } from '@medplum/fhirtypes';
import type { DateTime } from 'luxon';
import { validate as isUuid } from 'uuid';
import type { AppContext } from '../../context.js';
import { invalid, type AppError } from '../../errors.js';
import { dateRange, isSupportedPrefix, rangeBounds, splitPrefix, type DateRange, type Prefix } from './date-ranges.js';
import { parseReference } from './references.js';
import { NOTHING, type Condition, type ParameterValue, type SearchParameter } from './resource-type.js';

/**
 * Builders of the search parameters resource types declare, by FHIR parameter type. Each reads one
 * value and answers the ORM condition for it; a value it cannot read is a 400 naming the parameter.
 */

/** A 400 naming the parameter, with what is wrong with its value. */
export const badValue = (name: string, message: string): AppError => invalid(`Search parameter ${name}: ${message}`, [{ path: name, message }]);

/** A date value of a parameter: its prefix (one this server takes) and the range it covers. */
export function readDate(ctx: AppContext, { name, value }: ParameterValue, options: { calendarDate?: boolean } = {}): { prefix: Prefix; range: DateRange } {
  const { prefix, date } = splitPrefix(value);
  if (!isSupportedPrefix(prefix)) throw badValue(name, `the prefix ${prefix} is not supported; use eq, ge, gt, le or lt`);
  const range = dateRange(date, ctx.tenant.timeZone);
  if (!range) throw badValue(name, `"${date}" is not a date: YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][Z|±hh:mm], years 1900–9999`);
  if (options.calendarDate && range.hasTime) throw badValue(name, 'a date without a time is expected: YYYY, YYYY-MM or YYYY-MM-DD');
  return { prefix, range };
}

const asInstant = (moment: DateTime) => moment.toJSDate();
const asCalendarDate = (moment: DateTime) => moment.toISODate();

/** The bounds of an instant property (`startAt`) for a date value. */
export function instantBounds(ctx: AppContext, value: ParameterValue) {
  const { prefix, range } = readDate(ctx, value);
  return rangeBounds(prefix, range, asInstant);
}

/** A date parameter on one property: an instant (`startAt`), or with `calendarDate` a date column (`dateOfBirth`). */
export function dateParameter(options: { documentation: string; property: string; calendarDate?: boolean }): SearchParameter {
  return {
    type: 'date',
    documentation: options.documentation,
    condition: (ctx, value) => {
      if (!options.calendarDate) return { [options.property]: instantBounds(ctx, value) };
      const { prefix, range } = readDate(ctx, value, { calendarDate: true });
      return { [options.property]: rangeBounds(prefix, range, asCalendarDate) };
    },
  };
}

/** How a reference's id is matched for one target type: a property holding it, or a condition of its own. */
export type ReferenceTarget = string | ((ctx: AppContext, id: string) => Condition | Promise<Condition>);

/**
 * A reference parameter: `Patient/{id}`, a bare id, or an absolute URL, to one of `targets`. A
 * modifier may name the target type (`subject:Patient=…`); a bare id matches any target.
 */
export function referenceParameter(options: { documentation: string; targets: Partial<Record<ResourceType, ReferenceTarget>> }): SearchParameter {
  const types = Object.keys(options.targets) as ResourceType[];
  return {
    type: 'reference',
    documentation: options.documentation,
    modifiers: types,
    condition: async (ctx, { name, value, modifier }) => {
      const reference = parseReference(value);
      if (!reference) throw badValue(name, `"${value}" is not a reference: Type/id, an id, or an absolute URL ending in Type/id, the id a UUID`);
      if (modifier && reference.type && reference.type !== modifier) throw badValue(name, `the value refers to ${reference.type}, the modifier to ${modifier}`);
      const type = (modifier ?? reference.type) as ResourceType | undefined;
      if (type !== undefined && !types.includes(type)) throw badValue(name, `refers to ${types.join(' or ')} only, not ${type}`);
      const conditions: Condition[] = [];
      for (const target of type ? [type] : types) conditions.push(await matchTarget(ctx, options.targets[target]!, reference.id));
      return conditions.length === 1 ? conditions[0] : { $or: conditions };
    },
  };
}

const matchTarget = async (ctx: AppContext, target: ReferenceTarget, id: string): Promise<Condition> =>
  typeof target === 'string' ? { [target]: id } : target(ctx, id);

/** Text as a LIKE pattern matching itself: `%` and `_` are not wildcards. */
const literal = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/**
 * A string parameter over one or more properties, case-insensitive: starts with the value (FHIR's
 * default), `:contains` anywhere, `:exact` the whole text, case included. Several properties: any.
 */
export function stringParameter(options: { documentation: string; properties: readonly string[] }): SearchParameter {
  return {
    type: 'string',
    documentation: options.documentation,
    modifiers: ['exact', 'contains'],
    condition: (_ctx, { value, modifier }) => {
      const match = modifier === 'exact' ? value : { $ilike: modifier === 'contains' ? `%${literal(value)}%` : `${literal(value)}%` };
      const conditions = options.properties.map((property) => ({ [property]: match }));
      return conditions.length === 1 ? conditions[0] : { $or: conditions };
    },
  };
}

/** A token value `[system|]code` as its parts; `system` is undefined when no `|` was written. */
export function splitToken(value: string): { system?: string; code: string } {
  const bar = value.indexOf('|');
  return bar < 0 ? { code: value } : { system: value.slice(0, bar), code: value.slice(bar + 1) };
}

/**
 * A token parameter over a closed set of codes (a status), each with its condition. A code outside the
 * set is a 400 listing the set; a system other than the code's (`system`, or per code) matches nothing.
 */
export function codeParameter(options: { documentation: string; system?: string | Readonly<Record<string, string>>; codes: Readonly<Record<string, Condition>> }): SearchParameter {
  const codes = Object.keys(options.codes);
  const systemOf = (code: string) => (typeof options.system === 'string' ? options.system : options.system?.[code]);
  return {
    type: 'token',
    documentation: `${options.documentation} One of: ${codes.join(', ')}.`,
    condition: (_ctx, { name, value }) => {
      const { system, code } = splitToken(value);
      if (system && system !== systemOf(code)) return NOTHING;
      if (!Object.hasOwn(options.codes, code)) throw badValue(name, `"${code}" is not one of: ${codes.join(', ')}`);
      return options.codes[code];
    },
  };
}

/**
 * The conditions of a code parameter whose codes stored values map to (`mapping`, stored → code):
 * each code of `codes` as the stored values of `property` under it; a code none maps to matches nothing.
 */
export function conditionsByCode<Stored extends string, Code extends string>(mapping: Readonly<Record<Stored, Code>>, codes: readonly Code[], property: string): Record<string, Condition> {
  const stored = Object.keys(mapping) as Stored[];
  return Object.fromEntries(
    codes.map((code) => {
      const values = stored.filter((value) => mapping[value] === code);
      return [code, values.length > 0 ? { [property]: { $in: values } } : NOTHING];
    }),
  );
}

/** The parameters every resource type takes: its id and when it last changed. */
export const commonParameters: Readonly<Record<string, SearchParameter>> = {
  _id: {
    type: 'token',
    documentation: 'The resource id.',
    condition: (_ctx, { name, value }) => {
      if (!isUuid(value)) throw badValue(name, `"${value}" is not an id of this server (a UUID)`);
      return { id: value };
    },
  },
  _lastUpdated: dateParameter({ documentation: 'When the resource last changed (meta.lastUpdated).', property: 'updatedAt' }),
};
