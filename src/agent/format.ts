import type { ConversationChannel } from '../modules/conversations/entities.js';

/**
 * A reply as its channel shows it. Replies are written as light markdown or plain text (knowledge
 * articles are markdown, and models write it unasked); no channel shows markdown, so:
 *
 * - WhatsApp gets its own formatting: headings and bold as `*bold*`, italics as `_italic_`,
 *   strikethrough as `~struck~`, bullets as "• ".
 * - SMS (and chat, email) get plain text: no markers, bullets as "- " ("•" is outside the GSM 7-bit
 *   alphabet, and one such character makes every part of an SMS hold 70 characters instead of 160).
 * - Voice gets plain speech: no symbols, headings and list items as sentences, one paragraph.
 *
 * Links `[text](url)` become "text (url)" in writing and "text" spoken. Plain text comes out as it
 * went in (guided mode's replies are plain), so applying this once to every reply changes only
 * what needs it. Applied in one place: where a turn's reply leaves the agent (decide.ts).
 */
export function formatReply(text: string, channel: ConversationChannel): string {
  const style = channel === 'whatsapp' ? 'whatsapp' : channel === 'voice' ? 'voice' : 'plain';
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .flatMap((line) => formatLine(line, style));
  if (style === 'voice') return spokenParagraph(lines);
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

type Style = 'whatsapp' | 'plain' | 'voice';

const FENCE = /^\s*(```|~~~)/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;
const TABLE_ROW = /^\s*\|(.*)\|\s*$/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+•]\s+(.*)$/;
const NUMBERED = /^\s*(\d{1,3})[.)]\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;

/** One line of markdown as the style writes it: none (a fence, a rule), or one. */
function formatLine(line: string, style: Style): string[] {
  if (FENCE.test(line) || RULE.test(line) || TABLE_SEPARATOR.test(line)) return [];
  const row = line.match(TABLE_ROW);
  if (row) return [inline(row[1].split('|').map((cell) => cell.trim()).filter(Boolean).join(', '), style)];
  const heading = line.match(HEADING);
  if (heading) {
    const title = inline(heading[1], style === 'whatsapp' ? 'plain' : style);
    // A heading stands apart in writing: a blank line after it (knowledge passages lose theirs when chunked).
    return style === 'voice' ? [sentence(title)] : [style === 'whatsapp' ? `*${title}*` : title, ''];
  }
  const bullet = line.match(BULLET);
  if (bullet) {
    const item = inline(bullet[1], style);
    return [style === 'whatsapp' ? `• ${item}` : style === 'voice' ? sentence(item) : `- ${item}`];
  }
  const numbered = line.match(NUMBERED);
  if (numbered && style === 'voice') return [sentence(inline(numbered[2], style))];
  const quote = line.match(QUOTE);
  return [inline(quote ? quote[1] : line, style).replace(/\s+$/, '')];
}

/** Links, code and emphasis within a line. */
function inline(text: string, style: Style): string {
  const linked = text
    .replace(/!?\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g, (_, label: string, url: string) => link(label.trim(), url, style))
    .replace(/<(https?:\/\/[^>\s]+)>/g, '$1')
    .replace(/`([^`\n]+)`/g, '$1');
  if (style === 'whatsapp') {
    return linked
      // Single-asterisk italics first, so the bold made next is not read as italics.
      .replace(/(^|[^*\w])\*(?=\S)([^*\n]*?\S)\*(?![*\w])/g, '$1_$2_')
      .replace(/\*\*(?=\S)(.+?\S)\*\*/g, '*$1*')
      .replace(/(^|\W)__(?=\S)(.+?\S)__(?!\w)/g, '$1*$2*')
      .replace(/~~(?=\S)(.+?\S)~~/g, '~$1~');
  }
  return linked
    .replace(/\*\*(?=\S)(.+?\S)\*\*/g, '$1')
    .replace(/(^|\W)__(?=\S)(.+?\S)__(?!\w)/g, '$1$2')
    .replace(/(^|[^*\w])\*(?=\S)([^*\n]*?\S)\*(?![*\w])/g, '$1$2')
    .replace(/(^|\W)_(?=\S)([^_\n]*?\S)_(?!\w)/g, '$1$2')
    .replace(/~~(?=\S)(.+?\S)~~/g, '$1');
}

function link(label: string, url: string, style: Style): string {
  if (style === 'voice') return label;
  return label === '' || label === url ? url : `${label} (${url})`;
}

/** The text as a sentence: a full stop unless it ends with a mark of its own. */
const sentence = (text: string) => (text === '' || /[.!?:;,]$/.test(text) ? text : `${text}.`);

/** Spoken lines as one paragraph: a line break is a pause in writing, so a line without an ending gets one. */
function spokenParagraph(lines: string[]): string {
  return lines
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line, index, all) => (index < all.length - 1 ? sentence(line) : line))
    .join(' ');
}
