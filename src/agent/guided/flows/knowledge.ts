import { idleStep, type Answer, type GuidedContext } from '../context.js';
import { join } from '../replies/index.js';

/** A question, rather than a request or a remark: a question mark, or a question word first. */
const QUESTION = /\?|^(what|where|when|how|who|which|why|can|could|do|does|is|are|should|will|may)\b/;

/**
 * The cosine similarity above which an article is taken to answer a question found only by meaning.
 * Paraphrases score well above it with MiniLM-class models and unrelated texts well below (0.1–0.3).
 */
const ANSWERING_SIMILARITY = 0.6;

/**
 * A question the engine cannot place, answered from the clinic's knowledge, but only when the best
 * passage clearly covers it: it has every word of the question, or it is close in meaning. Otherwise
 * undefined, and the engine answers with its menu as before. Fusion scores (RRF) are ranks, not
 * confidence, so they are not what decides.
 */
export async function knowledgeAnswer(context: GuidedContext): Promise<Answer | undefined> {
  if (!QUESTION.test(context.normalized)) return undefined;
  const outcome = await context.operations.searchKnowledge({ query: context.text, limit: 1 });
  const best = outcome.ok ? outcome.value.results[0] : undefined;
  if (!best || !(best.matchedAllWords || (best.similarity ?? 0) >= ANSWERING_SIMILARITY)) return undefined;
  return { text: join(articleText(best), context.say.moreHelp(context.voice)), step: idleStep };
}

/**
 * A passage as an answer: an article's first passage starts with its title on a line of its own
 * (see ingestKnowledge), which becomes a heading unless the article opens with one of its own. The
 * markdown is left for the channel's formatting (src/agent/format.ts).
 */
function articleText(passage: { title: string; text: string }): string {
  const title = passage.title.trim();
  if (title === '' || !passage.text.startsWith(`${title}\n`)) return passage.text;
  const body = passage.text.slice(title.length).trim();
  return /^#{1,6}\s/.test(body) ? body : `# ${title}\n\n${body}`;
}
