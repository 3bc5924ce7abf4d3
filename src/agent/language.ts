/** The languages the agent answers in. English is the source every other language is checked against. */
export const languages = ['en', 'es'] as const;
export type Language = (typeof languages)[number];

/** The language names the model is told, in English (the prompt's language). */
export const languageNames: Record<Language, string> = { en: 'English', es: 'Spanish' };

/** The supported language a BCP 47 tag names (`es-MX` → `es`), or undefined. */
export function supportedLanguage(tag: string | null | undefined): Language | undefined {
  const base = tag?.trim().toLowerCase().split(/[-_]/)[0];
  return languages.find((language) => language === base);
}

/**
 * The language to answer in: the message's own when it is clearly written in one (a patient who
 * switches is followed), else the one the conversation kept from an earlier clear message (so "1" or
 * "sí" later stays in it), else the verified patient's preferred language, else the clinic's default,
 * else English.
 */
export function pickLanguage(options: { detected: Language | undefined; kept: Language | undefined; preferred: string | null | undefined; clinic: string }): Language {
  return options.detected ?? options.kept ?? supportedLanguage(options.preferred) ?? supportedLanguage(options.clinic) ?? 'en';
}
