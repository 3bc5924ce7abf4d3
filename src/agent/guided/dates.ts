import { DateTime } from 'luxon';

/**
 * Dates of birth as patients write them: 1984-03-12, 12/03/1984, 12.3.84, March 12 1984, 12th of
 * March 1984, and in Spanish 12 de marzo de 1984. A day/month order that cannot be told apart (03/05/1980) is returned as both readings,
 * so the patient is asked which one they meant rather than failing a check with a wrong guess.
 */

export type DateReading = { kind: 'date'; date: string } | { kind: 'ambiguous'; dates: [string, string] } | { kind: 'none' };

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

/** YYYY-MM-DD when the parts make a real date between 1900 and today, else undefined. */
function checked(year: number, month: number, day: number, today: DateTime): string | undefined {
  const date = DateTime.fromObject({ year, month, day }, { zone: 'utc' }).toISODate();
  if (!date || year < 1900 || date > (today.toISODate() ?? '')) return undefined;
  return date;
}

function reading(dates: (string | undefined)[]): DateReading {
  const found = [...new Set(dates.filter((date): date is string => date !== undefined))];
  if (found.length === 1) return { kind: 'date', date: found[0] };
  if (found.length === 2) return { kind: 'ambiguous', dates: [found[0], found[1]] };
  return { kind: 'none' };
}

/** Reads a date of birth out of the patient's text; `today` bounds it (nobody is born tomorrow). */
export function readDateOfBirth(text: string, today: DateTime): DateReading {
  const lower = text.toLowerCase();

  const isoLike = lower.match(/\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b/);
  if (isoLike) return reading([checked(Number(isoLike[1]), Number(isoLike[2]), Number(isoLike[3]), today)]);

  const numeric = lower.match(/\b(\d{1,2})[-/.\s](\d{1,2})[-/.\s](\d{4}|\d{2})\b/);
  if (numeric) {
    const [first, second, year] = [Number(numeric[1]), Number(numeric[2]), fullYear(numeric[3], today)];
    // Day first (12/03 = 12 March) and month first (12/03 = December 3): keep whichever are real dates.
    return reading([checked(year, second, first, today), checked(year, first, second, today)]);
  }

  const monthFirst = lower.match(/\b([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b/);
  const monthFirstNumber = monthFirst ? monthNumber(monthFirst[1]) : undefined;
  if (monthFirst && monthFirstNumber) return reading([checked(Number(monthFirst[3]), monthFirstNumber, Number(monthFirst[2]), today)]);

  const dayFirst = lower.match(/\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)?([a-z]+)\.?,?\s+(?:de(?:l)?\s+)?(\d{4})\b/);
  const dayFirstNumber = dayFirst ? monthNumber(dayFirst[2]) : undefined;
  if (dayFirst && dayFirstNumber) return reading([checked(Number(dayFirst[3]), dayFirstNumber, Number(dayFirst[1]), today)]);

  return { kind: 'none' };
}
