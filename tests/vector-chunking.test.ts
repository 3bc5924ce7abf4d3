import { describe, expect, it } from 'vitest';
import { chunkText } from '../src/modules/vector/chunking.js';
import { estimateTokens } from '../src/modules/vector/tokens.js';

/** One token per word or punctuation mark, like the estimate before a tokenizer is loaded. */
const words = async (text: string) => estimateTokens(text);
/** One token per character: makes a single long word longer than a chunk. */
const characters = async (text: string) => Array.from(text).length;

describe('chunkText', () => {
  it('makes no chunk of empty or blank text', async () => {
    expect(await chunkText('', { tokens: 16, overlap: 4, countTokens: words })).toEqual([]);
    expect(await chunkText(' \n\t  \r\n', { tokens: 16, overlap: 4, countTokens: words })).toEqual([]);
  });

  it('keeps short text whole, with its token count', async () => {
    expect(await chunkText('Parking is free.', { tokens: 16, overlap: 4, countTokens: words })).toEqual([{ index: 0, text: 'Parking is free.', tokenCount: 4 }]);
  });

  it('ends chunks on sentence boundaries and carries the last sentence that fits the overlap', async () => {
    const text = 'We open at eight. We close at six. Parking is behind the clinic. Bring your card.';
    const chunks = await chunkText(text, { tokens: 11, overlap: 5, countTokens: words });
    expect(chunks.map((chunk) => chunk.text)).toEqual([
      'We open at eight. We close at six.',
      'We close at six. Parking is behind the clinic.',
      'Bring your card.',
    ]);
    expect(chunks.every((chunk) => chunk.tokenCount <= 11)).toBe(true);
    expect(chunks.map((chunk) => chunk.index)).toEqual([0, 1, 2]);
  });

  it('has no overlap when it is zero', async () => {
    const chunks = await chunkText('One two three. Four five six. Seven eight nine.', { tokens: 8, overlap: 0, countTokens: words });
    expect(chunks.map((chunk) => chunk.text)).toEqual(['One two three. Four five six.', 'Seven eight nine.']);
  });

  it('splits a sentence longer than a chunk between words', async () => {
    const sentence = Array.from({ length: 25 }, (_, index) => `w${index}`).join(' ');
    const chunks = await chunkText(sentence, { tokens: 10, overlap: 2, countTokens: words });
    expect(chunks.every((chunk) => chunk.tokenCount <= 10)).toBe(true);
    expect(chunks[0].text).toBe('w0 w1 w2 w3 w4 w5 w6 w7 w8 w9');
    expect(chunks[1].text.startsWith('w8 w9 w10')).toBe(true);
    expect(chunks.at(-1)?.text.endsWith('w24')).toBe(true);
  });

  it('splits one huge word between characters, every piece within the size', async () => {
    const word = 'x'.repeat(1000);
    const chunks = await chunkText(word, { tokens: 64, overlap: 0, countTokens: characters });
    expect(chunks).toHaveLength(Math.ceil(1000 / 64));
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(word);
    expect(chunks.every((chunk) => chunk.tokenCount <= 64)).toBe(true);
  });

  it('never cuts an emoji or an accented letter in two', async () => {
    const word = '👩‍⚕️é'.repeat(40);
    const chunks = await chunkText(word, { tokens: 7, overlap: 0, countTokens: characters });
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(word);
    for (const chunk of chunks) expect(chunk.text.startsWith('👩') || chunk.text.startsWith('é')).toBe(true);
  });

  it('segments sentences in other scripts and keeps their text intact', async () => {
    const text = 'Η κλινική ανοίγει στις οκτώ. Το πάρκινγκ είναι δωρεάν! ¿Dónde está la recepción? 診療所は八時に開きます。';
    const chunks = await chunkText(text, { tokens: 7, overlap: 0, countTokens: words });
    expect(chunks.map((chunk) => chunk.text)).toEqual([
      'Η κλινική ανοίγει στις οκτώ.',
      'Το πάρκινγκ είναι δωρεάν!',
      '¿Dónde está la recepción?',
      '診療所は八時に開きます。',
    ]);
  });

  it('drops an overlap that would leave no room for the next sentence', async () => {
    const chunks = await chunkText('Bring your card today. Parking is in the garage behind the clinic.', { tokens: 12, overlap: 6, countTokens: words });
    expect(chunks.map((chunk) => chunk.text)).toEqual(['Bring your card today.', 'Parking is in the garage behind the clinic.']);
  });
});
