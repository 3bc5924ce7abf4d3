import { defineOperation } from '../../tools/operation.js';
import { fhirTypes } from './resources/index.js';
import {
  bundleJson,
  FhirBundleJson,
  FhirCapabilitiesInput,
  FhirEverythingInput,
  FhirReadInput,
  FhirResourceJson,
  FhirSearchInput,
  resourceJson,
} from './schema.js';
import { commonParameters } from './search-parameters.js';
import * as fhir from './service.js';

const tag = 'fhir';
const readOnly = { readOnly: true, destructive: false, idempotent: true };
/**
 * Any patient's whole record, by any id: staff and admin keys only. Not the agent role, and not a
 * tool of the patient-facing agent, which reads only the verified patient's own records.
 */
const access = { roles: ['staff'] as const, phi: true };

const searchable = fhirTypes.map((definition) => `${definition.type} (${Object.keys({ ...commonParameters, ...definition.parameters }).join(', ')})`).join('; ');

export const fhirOperations = [
  defineOperation({
    name: 'fhir_capabilities',
    title: 'FHIR capabilities',
    description: 'The FHIR R4 CapabilityStatement: the resource types served, and the search parameters each takes.',
    tag,
    input: FhirCapabilitiesInput,
    output: FhirResourceJson,
    annotations: readOnly,
    access,
    http: { method: 'get', path: '/fhir/metadata' },
    run: async (ctx) => resourceJson(fhir.capabilityStatement(ctx)),
  }),
  defineOperation({
    name: 'fhir_read',
    title: 'Read a FHIR resource',
    description: `One of the clinic’s records as a FHIR R4 resource, by type and id (a reference Patient/{id} is type Patient, id {id}). Types: ${fhirTypes.map((definition) => definition.type).join(', ')}.`,
    tag,
    input: FhirReadInput,
    output: FhirResourceJson,
    annotations: readOnly,
    access,
    http: { method: 'get', path: '/fhir/{type}/{id}' },
    run: async (ctx, input) => resourceJson(await fhir.readResource(ctx, input)),
  }),
  defineOperation({
    name: 'fhir_search',
    title: 'Search FHIR resources',
    description:
      `Searches the clinic’s records as FHIR R4 and answers a searchset Bundle with the total and a next link while more pages follow. Parameters by type: ${searchable}; ` +
      'all types also take _count (page size, default 50, at most 1000). Dates take the prefixes eq, ge, gt, le, lt (date: ["ge2026-01-01"]).',
    tag,
    input: FhirSearchInput,
    output: FhirBundleJson,
    annotations: readOnly,
    access,
    http: { method: 'post', path: '/fhir/search' },
    run: async (ctx, input) => bundleJson(await fhir.searchResources(ctx, input)),
  }),
  defineOperation({
    name: 'fhir_patient_everything',
    title: 'Everything about a patient, as FHIR',
    description:
      'Patient/{id}/$everything: the patient, their appointments, messages, intake answers (QuestionnaireResponse) and the allergies, medications, conditions and family history of their submitted intakes, and the practitioners and locations those refer to, as one FHIR R4 Bundle (not paged: it can be large).',
    tag,
    input: FhirEverythingInput,
    output: FhirBundleJson,
    annotations: readOnly,
    access,
    http: { method: 'get', path: '/fhir/patients/{id}/everything' },
    run: async (ctx, input) => bundleJson(await fhir.patientEverything(ctx, input.id)),
  }),
];
