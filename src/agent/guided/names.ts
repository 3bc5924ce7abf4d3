import { normalize } from './intents.js';

/**
 * The clinic's practitioners, specialties and locations as patients name them: with or without a
 * title ("dr hart", "Dr. Amelia"), shortened ("harbour st") or misspelt ("dermatolgy", "Dr Okafer").
 * Plain inputs (the text, the clinic's lists), so another language only needs its own small words.
 */

export type NamedPractitioner = { id: string; name: string; specialty: string | null };
export type NamedLocation = { id: string; name: string };

export type Recognized = {
  /**
   * The practitioners the text names. `ambiguous`: they fit the same words equally (two Dr Harts for
   * "Dr Hart"), so the patient is asked which; otherwise the patient named each ("Hart or Okafor").
   */
  practitioners: NamedPractitioner[];
  ambiguous: boolean;
  /** A specialty the text names, as the clinic writes it, with its practitioners (when no practitioner is named). */
  specialty?: { name: string; practitioners: NamedPractitioner[] };
  location?: NamedLocation;
};

/**
 * Edit distance with adjacent swaps counted once (Damerau–Levenshtein, optimal string alignment): "hrat"
 * is one step from "hart", as a typo is. Written here rather than taken from a package: the words are
 * short, it is a dozen lines, and the swap is what typing gets wrong most.
 */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}

/** Words that introduce a name: after them a short name may be misspelt ("dr hrat") and a name that is also a word counts ("Dr Will"). */
export const ADDRESSING = new Set(['dr', 'doctor', 'doc', 'dra', 'doctora', 'prof', 'professor', 'mr', 'mrs', 'ms', 'miss', 'nurse', 'with', 'con', 'see']);
const TITLES = new Set(['dr', 'doctor', 'doc', 'dra', 'doctora', 'prof', 'professor', 'mr', 'mrs', 'ms', 'miss', 'md', 'phd', 'do', 'np', 'pa']);
/** Names that are everyday words too ("I will", "may I"): taken as names only after a title or "with". */
const EVERYDAY = new Set(
  `will may june april august mark bill rose grace hope joy faith dawn sunny ray art guy pat rich frank long young white brown green black
   king hill wood best little hall lane cook hunt page price day love moon star summer winter ash bay park english noble`.split(/\s+/),
);
/** Words of specialties and places that say too little alone ("family medicine" is not "medicine"; "Harbor Street" is not "street"). */
const GENERIC = new Set(
  `medicine medical care health general primary services service clinic clinics centre center office practice the of and for
   street st road rd avenue ave av lane ln boulevard blvd drive building floor suite calle avenida`.split(/\s+/),
);

type Word = { text: string; addressed: boolean };

function wordsOf(text: string): Word[] {
  const words = normalize(text).replace(/[?']/g, ' ').split(' ').filter((word) => word !== '');
  return words.map((word, index) => ({ text: word, addressed: [words[index - 1], words[index - 2]].some((before) => before !== undefined && ADDRESSING.has(before)) }));
}

const nameWords = (name: string) => wordsOf(name).map((word) => word.text).filter((word) => word.length >= 2 && !TITLES.has(word));

/** How many typos a word of this length may carry: none in short words unless a title introduces them. */
function tolerance(length: number, addressed: boolean): number {
  if (length >= 8) return 2;
  if (length >= 6) return 1;
  return addressed && length >= 4 ? 1 : 0;
}

/** 2 for the same word, 1 for a near one, 0 for none. */
function nameScore(said: Word, name: string): number {
  if (said.text === name) return said.addressed || !EVERYDAY.has(name) ? 2 : 0;
  if (EVERYDAY.has(name) && !said.addressed) return 0;
  return editDistance(said.text, name) <= tolerance(Math.min(said.text.length, name.length), said.addressed) ? 1 : 0;
}

/** A specialty word: the same, a near one, or the same stem ("dermatologist" for "dermatology"). */
function specialtyScore(said: Word, word: string): number {
  if (said.text === word) return 2;
  if (said.text.length >= 6 && word.length >= 6 && said.text.slice(0, 6) === word.slice(0, 6)) return 1;
  return editDistance(said.text, word) <= tolerance(Math.min(said.text.length, word.length), false) ? 1 : 0;
}

type Scored<Item> = { item: Item; score: number; matched: Set<number> };

/** Each item's words against the text's: the text's words it matched and how well. */
function scoreAll<Item>(said: Word[], items: Item[], wordsOfItem: (item: Item) => string[], score: (said: Word, word: string) => number): Scored<Item>[] {
  return items
    .map((item) => {
      const matched = new Set<number>();
      let total = 0;
      for (const word of wordsOfItem(item)) {
        const best = said.reduce((top, candidate, index) => {
          const value = score(candidate, word);
          return value > top.value ? { value, index } : top;
        }, { value: 0, index: -1 });
        if (best.value > 0) {
          total += best.value;
          matched.add(best.index);
        }
      }
      return { item, score: total, matched };
    })
    .filter((scored) => scored.score > 0);
}

const sameSet = (a: Set<number>, b: Set<number>) => a.size === b.size && [...a].every((index) => b.has(index));
const strictlyWithin = (a: Set<number>, b: Set<number>) => a.size < b.size && [...a].every((index) => b.has(index));

/**
 * Keeps the practitioners no other one fits better: "Amelia Hart" drops a John Hart; an exact "Hart"
 * drops a near "Harte". Those left that fit the very same words are the ambiguous ones.
 */
function bestPractitioners(scored: Scored<NamedPractitioner>[]): { practitioners: NamedPractitioner[]; ambiguous: boolean } {
  const kept = scored.filter(
    (candidate) => !scored.some((other) => strictlyWithin(candidate.matched, other.matched) || (sameSet(candidate.matched, other.matched) && other.score > candidate.score)),
  );
  const ambiguous = kept.some((candidate) => kept.some((other) => other !== candidate && sameSet(candidate.matched, other.matched)));
  return { practitioners: kept.map((candidate) => candidate.item), ambiguous };
}

function bestSpecialty(said: Word[], practitioners: NamedPractitioner[]): Recognized['specialty'] {
  const specialties = [...new Set(practitioners.map((practitioner) => practitioner.specialty).filter((specialty): specialty is string => specialty !== null))];
  const telling = (specialty: string) => {
    const words = nameWords(specialty).filter((word) => !GENERIC.has(word));
    return words.length > 0 ? words : nameWords(specialty);
  };
  const scored = scoreAll(said, specialties, telling, specialtyScore).sort((a, b) => b.score - a.score);
  if (scored.length === 0 || (scored.length > 1 && scored[1].score === scored[0].score)) return undefined;
  const name = scored[0].item;
  return { name, practitioners: practitioners.filter((practitioner) => practitioner.specialty?.toLowerCase() === name.toLowerCase()) };
}

function bestLocation(said: Word[], locations: NamedLocation[]): NamedLocation | undefined {
  const telling = (location: NamedLocation) => nameWords(location.name).filter((word) => !GENERIC.has(word));
  const scored = scoreAll(said, locations, telling, specialtyScore).sort((a, b) => b.score - a.score);
  // Two places that fit equally well name neither for sure: none is assumed.
  if (scored.length === 0 || (scored.length > 1 && scored[1].score === scored[0].score)) return undefined;
  return scored[0].item;
}

/** The practitioners, specialty and location the text names, if any. */
export function recognizeNames(text: string, clinic: { practitioners: NamedPractitioner[]; locations: NamedLocation[] }): Recognized {
  const said = wordsOf(text).filter((word) => !ADDRESSING.has(word.text) && !TITLES.has(word.text));
  const byName = bestPractitioners(scoreAll(said, clinic.practitioners, (practitioner) => nameWords(practitioner.name), nameScore));
  const location = bestLocation(said, clinic.locations);
  const specialty = byName.practitioners.length === 0 ? bestSpecialty(said, clinic.practitioners) : undefined;
  return { ...byName, ...(specialty ? { specialty } : {}), ...(location ? { location } : {}) };
}
