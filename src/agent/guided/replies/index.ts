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
 *
 * From the single replies.ts this replaced, mechanically: `export const x = …` there is the property
 * `x: …` of `en` here (and of `es`, translated); `replies.x(…)` is `context.say.x(…)`; `replies.join`
 * is `join` from this module; `when` and `dayText` are `context.say.when` and `context.say.dayText`
 * (dates in the reply's language); `option`, `numbered` and the appointment and slot lines come from
 * `blocksIn` (blocks.ts) in each language's file. A function with no context at hand takes it, as
 * `askToCancel(context, appointment)` and `timeGoneIntro(context, error)` do. Texts staff read (ticket
 * summaries) stay English and use blocks.ts with 'en'.
 */

export type { Replies };
export { join } from './blocks.js';

/** The replies in each language. */
export const repliesIn: Record<Language, Replies> = { en, es };
