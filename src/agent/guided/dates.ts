import { DateTime } from 'luxon';
import type { DateOrder } from './date-order.js';

/**
 * Dates of birth as patients write them: 1984-03-12, 12/03/1984, 12.3.84, March 12 1984, 12th of
 * March 1984, March 12th 84, and in Spanish 12 de marzo de 1984. Numbers alone are read in the clinic's
 * order (03/12/1984 is 3 December in the United States, 12 March elsewhere); where the clinic's
 * convention cannot tell (03/05/1980 in Canada) both readings are returned, so the patient is asked
 * which one they meant rather than failing a check with a wrong guess. A two-digit year is returned as
 * `century`: the patient confirms it.
 */

export type DateReading =
  | { kind: 'date'; date: string }
  | { kind: 'ambiguous'; dates: [string, string] }
  /** Read with a two-digit year: `date` has the century guessed (84 → 1984), to be confirmed. */
  | { kind: 'century'; date: string }
  | { kind: 'none' };

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const SPANISH_MONTHS = ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'];

/** 1-12 for a month name or its abbreviation (at least three letters: "mar", "sept"), in English or Spanish ("setiembre" too). */
function monthNumber(word: string): number | undefined {
  if (word.length < 3) return undefined;
  const named = (months: string[]) => months.findIndex((month) => month.startsWith(word));
  const index = word === 'setiembre' ? 8 : named(MONTHS) >= 0 ? named(MONTHS) : named(SPANISH_MONTHS);
  return index >= 0 ? index + 1 : undefined;
}

/** Two-digit years are in the past: 84 is 1984, 05 is 2005 (if that is not after this year). */
function fullYear(text: string, today: DateTime): number {
  const year = Number(text);
  if (text.length === 4) return year;
  const century = Math.floor(today.year / 100) * 100;
  return century + year > today.year ? century - 100 + year : century + year;
}

/** YYYY-MM-DD when the parts make a real date between 1900 and `latest`, else undefined. */
function checked(year: number, month: number, day: number, latest: string): string | undefined {
  const date = DateTime.fromObject({ year, month, day }, { zone: 'utc' }).toISODate();
  if (!date || year < 1900 || date > latest) return undefined;
  return date;
}

/** The reading of the real dates among `dates` (in the clinic's order of preference, see `numericReadings`). */
function reading(dates: (string | undefined)[], twoDigitYear: boolean): DateReading {
  const found = [...new Set(dates.filter((date): date is string => date !== undefined))];
  if (found.length === 1) return twoDigitYear ? { kind: 'century', date: found[0] } : { kind: 'date', date: found[0] };
  // Both readings name the full year, so choosing one confirms the century too.
  if (found.length === 2) return { kind: 'ambiguous', dates: [found[0], found[1]] };
  return { kind: 'none' };
}

/**
 * 12/03 read in the clinic's order: only its reading when that is a real date (13/03 in the United
 * States can only be 13 March, so it is read so); both where the convention cannot tell.
 */
function numericReadings(first: number, second: number, year: number, order: DateOrder, latest: string): (string | undefined)[] {
  const dayFirst = checked(year, second, first, latest);
  const monthFirst = checked(year, first, second, latest);
  if (order === 'day_first') return [dayFirst ?? monthFirst];
  if (order === 'month_first') return [monthFirst ?? dayFirst];
  return [dayFirst, monthFirst];
}

/**
 * Reads a date of birth out of the patient's text. `today` makes two-digit years; `latest` bounds the
 * date: today when answering the question (nobody is born tomorrow), earlier for a date sent unasked.
 */
export function readDateOfBirth(text: string, options: { today: DateTime; order: DateOrder; latest?: DateTime }): DateReading {
  const lower = text.toLowerCase();
  const today = options.today;
  const latest = (options.latest ?? today).toISODate() ?? '';

  const isoLike = lower.match(/\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b/);
  if (isoLike) return reading([checked(Number(isoLike[1]), Number(isoLike[2]), Number(isoLike[3]), latest)], false);

  const numeric = lower.match(/\b(\d{1,2})[-/.\s](\d{1,2})[-/.\s](\d{4}|\d{2})\b/);
  if (numeric) {
    const year = fullYear(numeric[3], today);
    return reading(numericReadings(Number(numeric[1]), Number(numeric[2]), year, options.order, latest), numeric[3].length === 2);
  }

  const monthFirst = lower.match(/\b([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}|'?\d{2})\b/);
  const monthFirstNumber = monthFirst ? monthNumber(monthFirst[1]) : undefined;
  if (monthFirst && monthFirstNumber) {
    const year = monthFirst[3].replace("'", '');
    return reading([checked(fullYear(year, today), monthFirstNumber, Number(monthFirst[2]), latest)], year.length === 2);
  }

  const dayFirst = lower.match(/\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)?([a-z]+)\.?,?\s+(?:de(?:l)?\s+)?(\d{4}|'?\d{2})\b/);
  const dayFirstNumber = dayFirst ? monthNumber(dayFirst[2]) : undefined;
  if (dayFirst && dayFirstNumber) {
    const year = dayFirst[3].replace("'", '');
    return reading([checked(fullYear(year, today), dayFirstNumber, Number(dayFirst[1]), latest)], year.length === 2);
  }

  return { kind: 'none' };
}
