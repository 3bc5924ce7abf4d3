/**
 * Splits text into chunks of at most `tokens` tokens, counted by the embedding model's tokenizer,
 * each starting with up to `overlap` tokens of the end of the one before. Chunks end on sentence
 * boundaries where they can: a sentence longer than a chunk is split between words, and a word
 * longer than a chunk between characters (graphemes, so no emoji or accent is cut in two).
 */
export type ChunkingOptions = {
  tokens: number;
  overlap: number;
  countTokens(text: string): Promise<number>;
};

export type Chunk = { index: number; text: string; tokenCount: number };

/** A sentence, or the part of one that fits a chunk, with its token count. */
type Piece = { text: string; tokens: number };

const sentences = new Intl.Segmenter('en', { granularity: 'sentence' });
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** The chunks of `text`, in order; none for text with nothing but white space. */
export async function chunkText(text: string, options: ChunkingOptions): Promise<Chunk[]> {
  const normalized = text.replace(/\r\n?/g, '\n').replace(/[ \t]+/g, ' ').trim();
  if (normalized === '') return [];
  const overlap = Math.min(options.overlap, Math.floor(options.tokens / 2));
  const pieces: Piece[] = [];
  for (const { segment } of sentences.segment(normalized)) pieces.push(...(await fitting(segment, options.tokens, options.countTokens)));
  return pack(pieces, options.tokens, overlap, options.countTokens);
}

/** The sentence as pieces of at most `limit` tokens: itself, or its words, or a word's characters. */
async function fitting(sentence: string, limit: number, countTokens: ChunkingOptions['countTokens']): Promise<Piece[]> {
  if (sentence.trim() === '') return [];
  const tokens = await countTokens(sentence);
  if (tokens <= limit) return [{ text: sentence, tokens }];
  const pieces: Piece[] = [];
  for (const word of sentence.match(/\S+\s*/gu) ?? []) {
    const wordTokens = await countTokens(word);
    if (wordTokens <= limit) pieces.push({ text: word, tokens: wordTokens });
    else pieces.push(...(await splitWord(word, limit, countTokens)));
  }
  return pieces;
}

/** A word longer than a chunk, cut into the longest runs of characters that fit. */
async function splitWord(word: string, limit: number, countTokens: ChunkingOptions['countTokens']): Promise<Piece[]> {
  const characters = Array.from(graphemes.segment(word), (part) => part.segment);
  const pieces: Piece[] = [];
  let start = 0;
  while (start < characters.length) {
    // Binary search for the longest prefix from `start` that fits; one character always goes in.
    let low = start + 1;
    let high = characters.length;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if ((await countTokens(characters.slice(start, middle).join(''))) <= limit) low = middle;
      else high = middle - 1;
    }
    const text = characters.slice(start, low).join('');
    pieces.push({ text, tokens: await countTokens(text) });
    start = low;
  }
  return pieces;
}

/** Greedy packing of pieces into chunks, carrying the last pieces that fit in `overlap` into the next chunk. */
async function pack(pieces: Piece[], limit: number, overlap: number, countTokens: ChunkingOptions['countTokens']): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  let current: Piece[] = [];
  let size = 0;
  let fresh = 0; // pieces in `current` that no earlier chunk holds
  const close = async () => {
    const text = current.map((piece) => piece.text).join('').trim();
    chunks.push({ index: chunks.length, text, tokenCount: await countTokens(text) });
    const carried: Piece[] = [];
    let carriedSize = 0;
    for (let index = current.length - 1; index >= 0 && carriedSize + current[index].tokens <= overlap; index--) {
      carried.unshift(current[index]);
      carriedSize += current[index].tokens;
    }
    current = carried;
    size = carriedSize;
    fresh = 0;
  };
  for (const piece of pieces) {
    if (size + piece.tokens > limit && fresh > 0) await close();
    // The overlap must leave room for the new piece, or it is dropped.
    while (size + piece.tokens > limit && current.length > 0) size -= current.shift()?.tokens ?? 0;
    current.push(piece);
    size += piece.tokens;
    fresh += 1;
  }
  if (fresh > 0) await close();
  return chunks;
}
