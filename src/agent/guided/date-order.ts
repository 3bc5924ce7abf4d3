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
