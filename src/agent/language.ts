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
