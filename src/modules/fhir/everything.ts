import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { AppContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { fhirBase, searchset } from './bundle.js';
import { parseReference } from './references.js';
import { fhirTypes } from './resources/index.js';
import { patientType } from './resources/patient.js';
import type { FhirType } from './resource-type.js';

/** Every `reference` in a resource, as type and id. */
function references(value: unknown, found: (type: string, id: string) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) references(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'reference' && typeof item === 'string') {
        const target = parseReference(item);
        if (target?.type) found(target.type, target.id);
      } else references(item, found);
    }
  }
}

/**
 * The resources of types that are about no patient (Practitioner, Location) that `resources` refer
 * to, so that the Bundle stands on its own. Other patients are never added.
 */
async function referencedResources(ctx: AppContext, resources: readonly Resource[]): Promise<Resource[]> {
  const wanted = new Map<FhirType, Set<string>>();
  const shared = new Map(fhirTypes.filter((definition) => !definition.patientParameter && definition !== patientType).map((definition) => [definition.type as string, definition]));
  for (const resource of resources) {
    references(resource, (type, id) => {
      const definition = shared.get(type);
      if (definition) wanted.set(definition, (wanted.get(definition) ?? new Set()).add(id));
    });
  }
  const found: Resource[] = [];
  for (const [definition, ids] of wanted) found.push(...(await definition.read(ctx, [...ids].sort())));
  return found;
}

/**
 * Patient/{id}/$everything: the patient, every resource about them (each type with a
 * `patientParameter`, found by it), and the practitioners and locations those refer to, as one
 * `searchset` Bundle (the patient a match, the rest included). Not paged.
 */
export async function patientEverything(ctx: AppContext, id: string): Promise<Bundle> {
  const [patient] = await patientType.read(ctx, [id]);
  if (!patient) throw notFound('Patient', id);
  const about: Resource[] = [];
  for (const definition of fhirTypes) {
    if (!definition.patientParameter) continue;
    const condition = await definition.parameters[definition.patientParameter].condition(ctx, { name: definition.patientParameter, value: `Patient/${id}` });
    about.push(...(await definition.find(ctx, { conditions: [condition] })));
  }
  const included = [...about, ...(await referencedResources(ctx, about))];
  const base = fhirBase(ctx);
  return searchset({ base, total: 1 + included.length, links: [{ relation: 'self', url: `${base}/Patient/${id}/$everything` }], matches: [patient], included });
}
