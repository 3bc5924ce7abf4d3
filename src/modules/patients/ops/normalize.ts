import { isSupportedCountry, parsePhoneNumberWithError } from 'libphonenumber-js';
import { DateTime } from 'luxon';
import type { AppContext } from '../../../context.js';
import { invalid } from '../../../errors.js';

/**
 * The number in E.164, read in the clinic's country when it has no +prefix. A number that cannot
 * be a real one (wrong length, unknown area) is refused with `path` named, so the caller can ask again.
 */
export function normalizePhone(ctx: AppContext, text: string, path = 'phone'): string {
  const country = isSupportedCountry(ctx.tenant.defaultCountry) ? ctx.tenant.defaultCountry : undefined;
  const refuse = () =>
    invalid(`"${text}" is not a valid phone number${country ? ` (read as ${country} when it has no +country code)` : ''}.`, [
      { path, message: 'not a valid phone number' },
    ]);
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(text, country);
  } catch {
    // libphonenumber throws on text that is not a number at all; that is the caller's input, not our error.
    throw refuse();
  }
  if (!parsed.isValid()) throw refuse();
  return parsed.number;
}

/** Refuses a date of birth in the future (in the clinic's time zone) or implausibly long ago. */
export function checkDateOfBirth(ctx: AppContext, date: string, path = 'dateOfBirth'): string {
  const today = DateTime.fromJSDate(ctx.clock.now(), { zone: ctx.tenant.timeZone }).toISODate();
  if (today && date > today) throw invalid(`The date of birth ${date} is in the future.`, [{ path, message: 'in the future' }]);
  if (date < '1880-01-01') throw invalid(`The date of birth ${date} is too far in the past.`, [{ path, message: 'before 1880' }]);
  return date;
}

/** Refuses the same system and value twice in one request, before the database would. */
export function checkIdentifiers(identifiers: readonly { system: string; value: string }[], path = 'identifiers'): void {
  const seen = new Set<string>();
  identifiers.forEach((identifier, index) => {
    const key = `${identifier.system}\u0000${identifier.value}`;
    if (seen.has(key)) {
      throw invalid(`The identifier ${identifier.system} ${identifier.value} is given twice.`, [{ path: `${path}.${index}`, message: 'given twice' }]);
    }
    seen.add(key);
  });
}
