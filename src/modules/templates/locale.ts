import { z } from 'zod';

/**
 * Locales are BCP 47 tags, canonical as `Intl.getCanonicalLocales` writes them (`es-mx` → `es-MX`,
 * `iw` → `he`): a language the runtime knows, optionally a script and a region (`en`, `es-MX`,
 * `zh-Hant-TW`). Extensions and private use (`en-u-ca-buddhist`, `x-…`) say nothing a message
 * template could differ by, so they are refused rather than stored as separate templates.
 */

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
const SHAPE = /^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?$/;

/** The canonical form of a language tag, or undefined when it is malformed or names an unknown language or region. */
export function canonicalLocale(text: string): string | undefined {
  let canonical: string;
  try {
    [canonical] = Intl.getCanonicalLocales(text.trim());
  } catch {
    return undefined; // RangeError: not a well-formed tag
  }
  if (!canonical || !SHAPE.test(canonical)) return undefined;
  const locale = new Intl.Locale(canonical);
  if (languageNames.of(locale.language) === undefined) return undefined;
  if (locale.region !== undefined && (locale.region === 'ZZ' || regionNames.of(locale.region) === undefined)) return undefined;
  return canonical;
}

/** A locale in input: checked, and stored canonical. */
export const Locale = z
  .string()
  .max(35)
  .refine((text) => canonicalLocale(text) !== undefined, 'a known BCP 47 language tag such as en, es or es-MX')
  .overwrite((text) => canonicalLocale(text) ?? text)
  .describe('A BCP 47 language tag: a language, optionally with script and region (en, es, es-MX, zh-Hant-TW).');

/** The tag and its parents, most specific first: `zh-Hant-TW` → `zh-Hant-TW`, `zh-Hant`, `zh`. */
function withParents(locale: string): string[] {
  const parts = locale.split('-');
  return parts.map((_, index) => parts.slice(0, parts.length - index).join('-'));
}

/**
 * The locales to try, in order: the requested one and its parents (`es-MX` → `es`), then the clinic's
 * default and its parents. Duplicates are dropped.
 */
export function localeFallbacks(requested: string | undefined, clinicDefault: string): string[] {
  return [...new Set([...(requested ? withParents(requested) : []), ...withParents(clinicDefault)])];
}
