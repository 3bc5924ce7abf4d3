/** Words and punctuation marks: close to a WordPiece count for English, used until a tokenizer is loaded. */
export function estimateTokens(text: string): number {
  return text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)?.length ?? 0;
}
