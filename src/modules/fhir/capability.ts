import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import type { AppContext } from '../../context.js';
import { fhirBase } from './bundle.js';
import { fhirTypes } from './resources/index.js';
import { patientType } from './resources/patient.js';
import type { FhirType } from './resource-type.js';
import { DEFAULT_COUNT, MAX_COUNT } from './search.js';
import { commonParameters } from './search-parameters.js';

/** When this process started: the statement describes this running instance. */
const startedAt = new Date().toISOString();

function modifiersNote(modifiers: readonly string[] | undefined): string {
  return modifiers?.length ? ` Modifiers: :${modifiers.join(', :')}.` : '';
}

function restResource(definition: FhirType): CapabilityStatementRestResource {
  const parameters = { ...commonParameters, ...definition.parameters };
  return {
    type: definition.type,
    interaction: [{ code: 'read' }, { code: 'search-type' }],
    searchParam: Object.entries(parameters).map(([name, parameter]) => ({
      name,
      type: parameter.type,
      documentation: `${parameter.documentation}${modifiersNote(parameter.modifiers)}`,
    })),
    ...(definition === patientType
      ? { operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything', documentation: 'The patient and every resource about them, with the practitioners and locations they refer to; one Bundle, not paged.' }] }
      : {}),
  };
}

/** What this server does, exactly: read and search of each type in the list, with the parameters each takes. */
export function capabilityStatement(ctx: AppContext): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: startedAt,
    kind: 'instance',
    software: { name: 'PRM Agent' },
    implementation: { description: `Read-only FHIR R4 view of ${ctx.tenant.name}`, url: fhirBase(ctx) },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        documentation:
          `Read and search only. Searches page by _count (default ${DEFAULT_COUNT}, at most ${MAX_COUNT}; 0 for the total alone) and the next link; ` +
          'dates take the prefixes eq, ge, gt, le and lt, and a date without an offset is in the clinic’s time zone. ' +
          'A parameter given twice must hold both times; values separated by commas are alternatives.',
        security: { description: 'An API key of the clinic with the staff or admin role, sent as Authorization: Bearer <key>.' },
        resource: fhirTypes.map(restResource),
      },
    ],
  };
}
