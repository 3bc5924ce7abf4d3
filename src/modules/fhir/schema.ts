import type { Bundle, CapabilityStatement, Resource, ResourceType } from '@medplum/fhirtypes';
import { z } from 'zod';
import { Id } from '../../schema.js';
import { fhirTypeNames } from './resources/index.js';

export const ResourceTypeName = z
  .enum(fhirTypeNames as [ResourceType, ...ResourceType[]])
  .describe(`The resource type: ${fhirTypeNames.join(', ')}.`);

const ResourceId = Id.describe('The resource id: the `id` of a resource, or the part after the type in a reference (Patient/{id}).');

export const FhirReadInput = z.strictObject({ type: ResourceTypeName, id: ResourceId });

export const FhirSearchInput = z.strictObject({
  type: ResourceTypeName,
  params: z
    .record(z.string().min(1).max(100), z.union([z.string().max(2000), z.array(z.string().max(2000)).max(20)]))
    .refine((params) => Object.keys(params).length <= 50, 'at most 50 parameters')
    .default({})
    .describe(
      'FHIR search parameters as a query string has them: {"patient": "Patient/…", "date": ["ge2026-01-01", "lt2026-02-01"], "_count": "20"}. ' +
        'A list: the parameter given several times (all must hold); commas in a value: alternatives. For the next page, add `_cursor` from the Bundle’s next link.',
    ),
});

export const FhirEverythingInput = z.strictObject({ id: ResourceId.describe('The patient id.') });

export const FhirCapabilitiesInput = z.strictObject({});

/** A FHIR R4 resource as JSON; only what every resource has is declared here, the rest passes through as it is. */
export const FhirResourceJson = z.looseObject({ resourceType: z.string(), id: z.string().optional() }).describe('A FHIR R4 resource (JSON).');

export const FhirBundleJson = z
  .looseObject({
    resourceType: z.literal('Bundle'),
    type: z.string(),
    total: z.number().int().optional().describe('Every match, on all pages.'),
    link: z.array(z.object({ relation: z.string(), url: z.string() })).optional().describe('`self`, and `next` when more pages follow.'),
    entry: z.array(z.looseObject({ fullUrl: z.string().optional(), resource: FhirResourceJson.optional(), search: z.looseObject({ mode: z.string().optional() }).optional() })).optional(),
  })
  .describe('A FHIR R4 Bundle of type searchset.');

// medplum's resource types are interfaces, and TypeScript lets no interface stand where an index
// signature (the loose objects above) is expected; the JSON is the same, so the outputs say so here, once.
export const resourceJson = (resource: Resource | CapabilityStatement) => resource as z.input<typeof FhirResourceJson>;
export const bundleJson = (bundle: Bundle) => bundle as z.input<typeof FhirBundleJson>;
