import type { Bundle, BundleLink, ResourceType } from '@medplum/fhirtypes';
import { validate as isUuid } from 'uuid';
import type { AppContext } from '../../context.js';
import { invalid } from '../../errors.js';
import { fhirBase, searchset, searchUrl } from './bundle.js';
import { fhirTypeNamed } from './resources/index.js';
import type { Condition, FhirType, SearchParameter } from './resource-type.js';
import { badValue, commonParameters } from './search-parameters.js';

/** A search's parameters as a query string carries them: each name with every value it was given. */
export type SearchParams = Readonly<Record<string, string | readonly string[]>>;

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 1000;
const JSON_FORMATS = ['json', 'application/json', 'application/fhir+json'];

type ParsedSearch = {
  conditions: Condition[];
  count: number;
  /** The id the page starts after (`_cursor`, from a `next` link). */
  after?: string;
  /** The parameters again, as the links repeat them (all but `_cursor`). */
  query: [string, string][];
};

/** `a,b` as its alternatives; `\,` is a comma inside a value. */
const alternatives = (value: string) => value.split(/(?<!\\),/).map((part) => part.replace(/\\,/g, ','));

/** The search parameter a key names (`name:exact` names `name`), or a 400 naming the key. */
function parameterOf(fhirType: FhirType, key: string): { parameter: SearchParameter; modifier?: string } {
  const [name, modifier, ...more] = key.split(':');
  const parameter = Object.hasOwn(commonParameters, name) ? commonParameters[name] : Object.hasOwn(fhirType.parameters, name) ? fhirType.parameters[name] : undefined;
  if (!parameter) {
    const known = [...Object.keys(commonParameters), ...Object.keys(fhirType.parameters), '_count'].join(', ');
    throw invalid(`${fhirType.type} has no search parameter ${name}; it takes ${known}.`, [{ path: key, message: 'unsupported search parameter' }]);
  }
  if (more.length > 0 || (modifier !== undefined && !parameter.modifiers?.includes(modifier))) {
    const taken = parameter.modifiers?.length ? `it takes :${parameter.modifiers.join(', :')}` : 'it takes none';
    throw invalid(`The search parameter ${name} does not take the modifier :${[modifier, ...more].join(':')}; ${taken}.`, [{ path: key, message: 'unsupported modifier' }]);
  }
  return { parameter, modifier };
}

/** Reads the parameters into conditions (the same name twice: both hold; `a,b`: either) and the paging controls. */
async function parseSearch(ctx: AppContext, fhirType: FhirType, params: SearchParams): Promise<ParsedSearch> {
  const parsed: ParsedSearch = { conditions: [], count: DEFAULT_COUNT, query: [] };
  for (const [key, given] of Object.entries(params)) {
    const values = typeof given === 'string' ? [given] : given;
    const last = values[values.length - 1] ?? '';
    if (key === '_cursor') {
      if (!isUuid(last)) throw badValue(key, 'not a cursor this server gave out (take the next link as it is)');
      parsed.after = last;
      continue;
    }
    parsed.query.push(...values.map((value): [string, string] => [key, value]));
    if (key === '_count') {
      if (!/^\d{1,4}$/.test(last) || Number(last) > MAX_COUNT) throw badValue(key, `a whole number from 0 to ${MAX_COUNT}`);
      parsed.count = Number(last);
    } else if (key === '_format') {
      if (!JSON_FORMATS.includes(last)) throw badValue(key, `only JSON is served: ${JSON_FORMATS.join(', ')}`);
    } else {
      const { parameter, modifier } = parameterOf(fhirType, key);
      for (const value of values) {
        const wanted = alternatives(value).filter((text) => text !== '');
        if (wanted.length === 0) continue; // FHIR: a parameter without a value is ignored
        // One at a time: a condition may query (a patient's conversations), and the call has one manager.
        const matches: Condition[] = [];
        for (const text of wanted) matches.push(await parameter.condition(ctx, { name: key, value: text, modifier }));
        parsed.conditions.push(matches.length === 1 ? matches[0] : { $or: matches });
      }
    }
  }
  return parsed;
}

/**
 * One page of a search as a `searchset` Bundle: the matches by id (creation order), `total` (every
 * match, all pages), a `self` link and, when more match, a `next` link that continues after this
 * page's last resource (keyset paging: pages neither skip nor repeat rows as new ones are added).
 */
export async function searchResources(ctx: AppContext, input: { type: ResourceType; params: SearchParams }): Promise<Bundle> {
  const fhirType = fhirTypeNamed(input.type);
  const search = await parseSearch(ctx, fhirType, input.params);
  const total = await fhirType.count(ctx, search.conditions);
  const found = search.count === 0 ? [] : await fhirType.find(ctx, { conditions: search.conditions, after: search.after, count: search.count + 1 });
  const matches = found.slice(0, search.count);
  const base = fhirBase(ctx);
  const link = (relation: string, after: string | undefined): BundleLink => ({
    relation,
    url: searchUrl(base, fhirType.type, after === undefined ? search.query : [...search.query, ['_cursor', after]]),
  });
  const last = matches[matches.length - 1];
  const links = [link('self', search.after), ...(found.length > search.count && last?.id ? [link('next', last.id)] : [])];
  return searchset({ base, total, links, matches });
}
