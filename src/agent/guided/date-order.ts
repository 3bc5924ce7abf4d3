import type { Language } from '../language.js';

/**
 * How the clinic's patients write a date in numbers: 03/12/1984 is 12 March in most of the world and
 * 3 December in the United States. Read from the clinic's country (see `ClinicProfile.country`).
 */
export type DateOrder = 'day_first' | 'month_first' | 'undecided';

/** The United States and the places that follow its convention (its territories, the Philippines, Micronesia, Palau, the Marshall Islands). */
const MONTH_FIRST = new Set(['US', 'PR', 'GU', 'VI', 'AS', 'MP', 'UM', 'PH', 'FM', 'PW', 'MH']);
/**
 * Countries where both orders are common (Canada), or where people write the year first and a
 * day/month pair is no convention at all: there the patient is asked which reading they meant.
 */
const UNDECIDED = new Set(['CA', 'CN', 'JP', 'KR', 'TW', 'HU', 'MN', 'IR']);

export function dateOrder(country: string | null): DateOrder {
  const code = country?.toUpperCase() ?? '';
  if (!/^[A-Z]{2}$/.test(code) || UNDECIDED.has(code)) return 'undecided';
  return MONTH_FIRST.has(code) ? 'month_first' : 'day_first';
}

/**
 * The order to read a date of birth in, for a patient writing in `language`: the clinic's, except that
 * Spanish is written day first wherever it is spoken, so a patient writing Spanish to a month-first
 * clinic (a US clinic's Spanish-speaking patients write both ways) is asked which reading they meant
 * rather than checked with a guess that may count toward the lockout.
 */
export function birthDateOrder(country: string | null, language: Language): DateOrder {
  const order = dateOrder(country);
  return language === 'es' && order === 'month_first' ? 'undecided' : order;
}
