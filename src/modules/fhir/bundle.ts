import type { Bundle, BundleLink, Resource } from '@medplum/fhirtypes';
import type { AppContext } from '../../context.js';

/** Where the FHIR API is mounted. */
export const FHIR_PATH = '/fhir/R4';

/**
 * The base of every link and `fullUrl`: absolute under PUBLIC_BASE_URL when it is set, else the path
 * alone (a client resolves it against the address it called). MCP callers get the same links.
 */
export const fhirBase = (ctx: AppContext): string => `${(ctx.services.config.publicBaseUrl ?? '').replace(/\/+$/, '')}${FHIR_PATH}`;

/** A search's own URL with these parameters, in the order given. */
export function searchUrl(base: string, type: string, query: readonly (readonly [string, string])[]): string {
  const search = new URLSearchParams(query.map(([key, value]) => [key, value])).toString();
  return `${base}/${type}${search ? `?${search}` : ''}`;
}

/** A `searchset` Bundle: the matches, then what was included with them, each with its full URL. */
export function searchset(options: { base: string; total: number; links: BundleLink[]; matches: readonly Resource[]; included?: readonly Resource[] }): Bundle {
  const entry = (mode: 'match' | 'include') => (resource: Resource) => ({
    fullUrl: `${options.base}/${resource.resourceType}/${resource.id}`,
    resource,
    search: { mode },
  });
  const entries = [...options.matches.map(entry('match')), ...(options.included ?? []).map(entry('include'))];
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: options.total,
    link: options.links,
    ...(entries.length > 0 ? { entry: entries } : {}),
  };
}
