import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventTypes } from '../src/event-types.js';

/** The one list of event types (src/event-types.ts) holds every type the code records. */

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(directory, entry.name)) : entry.name.endsWith('.ts') ? [join(directory, entry.name)] : [],
  );
}

describe('event types', () => {
  it('list every type the code records', () => {
    const recorded = new Set<string>();
    for (const file of sourceFiles('src')) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:type|event): '([a-z_]+\.[a-z_]+)'/g)) recorded.add(match[1]);
      if (text.includes('type: `conversation.${kind}`')) for (const kind of text.match(/type Change = ([^;]+);/)![1].matchAll(/'([a-z_]+)'/g)) recorded.add(`conversation.${kind[1]}`);
    }
    const known = new Set<string>(eventTypes);
    expect([...recorded].filter((type) => !known.has(type)).sort()).toEqual([]);
    expect(recorded.size).toBeGreaterThan(40);
  });
});
