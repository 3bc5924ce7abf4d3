import type { Language } from '../../language.js';
import { en, type Replies } from './en.js';
import { es } from './es.js';

/**
 * Every text guided mode says to a patient, in each language it speaks: short, plain, no codes or
 * ids. Texts are written for messaging; `spoken` adapts any of them for the phone, and the few that
 * differ in shape (the menu, lists) take `voice`.
 *
 * How it is used: the engine picks one language's replies per turn and carries them on the context
 * as `context.say`; flows write `context.say.menu(context.voice)`, never a language's object directly.
 * Language-independent helpers (`join`) come from this module.
 *
 * To add a reply: add it to `en.ts` (the source; its object's type is `Replies`), then to every other
 * language's file (`es.ts`): each is typed `Replies`, so a reply missing there, or with other
 * parameters, does not compile. Then call it as `context.say.newReply(...)`.
 */

export type { Replies };
export { join } from './blocks.js';

/** The replies in each language. */
export const repliesIn: Record<Language, Replies> = { en, es };
