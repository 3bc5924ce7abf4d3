import { idleStep, type Answer, type GuidedContext } from '../context.js';
import { join } from '../replies/index.js';

/**
 * A question, rather than a request or a remark: a question mark, or a question word first, in
 * English or Spanish ("¿" is gone by now: normalize() turned it into a space).
 */
const QUESTION =
  /\?|^(what|where|when|how|who|which|why|can|could|do|does|is|are|should|will|may|have|has|any|qu[eé]|cu[aá]l|c[oó]mo|d[oó]nde|cu[aá]ndo|cu[aá]nto|qui[eé]n|hay|tienen|aceptan|puedo|pueden|se puede)\b/;

/**
 * The words that frame a question rather than say what it is about: "do you accept", "can I use",
 * "is there", "¿aceptan…?". PostgreSQL's English stop words drop only some of them ("do", "you",
 * "can", "the"), and the text search requires every word left to be in the article: "Do you accept
 * Medicaid?" found nothing in an article listing Medicaid among the plans taken unless it also said
 * "accept". The article answers "what about Medicaid", whichever verb asked it.
 */
const FRAME = new Set(
  `i i'm i'd me my we our you your do does did can could would will should may might must is are was were be been there any a an the to of
   for in on at it this that please tell know wondering wonder want like need have has had get accept accepts accepted take takes taking
   use using offer offers provide provides cover covers covered support supports work what which who how when where why also still just
   hi hello thanks thank about if or and with
   qué que cuál cual cómo como dónde donde cuándo cuando cuánto cuanto quién quien el la los las un una unos unas de del al en y o es
   son está están esta hay tienen tiene tengo aceptan acepta aceptar aceptarían usan usar uso puedo puede pueden ustedes usted yo mi mis
   me se su sus lo le les con para por favor quiero quisiera saber necesito trabajan cubren cubre ofrecen ofrece sí si hola gracias`.split(/\s+/),
);

/** What the question is about: its words without the framing ones; the whole question when nothing is left. */
export function questionTopic(normalized: string): string {
  const topic = normalized
    .replace(/\?/g, ' ')
    .split(' ')
    .filter((word) => word !== '' && !FRAME.has(word));
  return topic.length > 0 ? topic.join(' ') : normalized.replace(/\?/g, ' ').trim();
}

/**
 * The cosine similarity above which an article is taken to answer a question found only by meaning.
 * Paraphrases score well above it with MiniLM-class models and unrelated texts well below (0.1–0.3).
 */
const ANSWERING_SIMILARITY = 0.6;
/** Passages looked at: the best by rank fusion need not be the one that has every word. */
const CANDIDATES = 3;

/**
 * A question the engine cannot place, answered from the clinic's knowledge, but only when a passage
 * clearly covers it: it has every word of what the question is about, or it is close in meaning.
 * Otherwise undefined, and the engine answers with its menu as before. Fusion scores (RRF) are
 * ranks, not confidence, so they are not what decides; of the first few passages, the first that
 * answers is taken. The article's markdown is left for the channel's formatting (src/agent/format.ts).
 */
export async function knowledgeAnswer(context: GuidedContext): Promise<Answer | undefined> {
  if (!QUESTION.test(context.normalized)) return undefined;
  const outcome = await context.operations.searchKnowledge({ query: questionTopic(context.normalized), limit: CANDIDATES });
  const best = outcome.ok ? outcome.value.results.find((result) => result.matchedAllWords || (result.similarity ?? 0) >= ANSWERING_SIMILARITY) : undefined;
  if (!best) return undefined;
  return { text: join(articleText(best), context.say.moreHelp(context.voice)), step: idleStep };
}

/**
 * A passage as an answer: an article's first passage starts with its title on a line of its own
 * (see ingestKnowledge), which becomes a heading unless the article opens with one of its own.
 */
function articleText(passage: { title: string; text: string }): string {
  const title = passage.title.trim();
  if (title === '' || !passage.text.startsWith(`${title}\n`)) return passage.text;
  const body = passage.text.slice(title.length).trim();
  return /^#{1,6}\s/.test(body) ? body : `# ${title}\n\n${body}`;
}
