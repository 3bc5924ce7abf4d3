import type { Location as FhirLocation } from '@medplum/fhirtypes';
import { toIso } from '../../../schema.js';
import { Location } from '../../appointments/entities.js';
import { contactPoints } from '../datatypes.js';
import { defineFhirType, NOTHING } from '../resource-type.js';
import { codeParameter, stringParameter } from '../search-parameters.js';

/** A location as FHIR: `active` or `inactive`, its address as text (it is kept as one text). */
export function locationResource(location: Location): FhirLocation {
  return {
    resourceType: 'Location',
    id: location.id,
    meta: { lastUpdated: toIso(location.updatedAt) },
    status: location.active ? 'active' : 'inactive',
    name: location.name,
    mode: 'instance',
    ...contactPoints({ phone: location.phone }),
    ...(location.address ? { address: { text: location.address } } : {}),
  };
}

export const locationType = defineFhirType<Location>({
  type: 'Location',
  entity: Location,
  parameters: {
    name: stringParameter({ documentation: 'The name.', properties: ['name'] }),
    address: stringParameter({ documentation: 'The address text.', properties: ['address'] }),
    status: codeParameter({
      documentation: 'Whether appointments are still made there.',
      system: 'http://hl7.org/fhir/location-status',
      codes: { active: { active: true }, inactive: { active: false }, suspended: NOTHING },
    }),
  },
  toResources: async (_ctx, rows) => rows.map(locationResource),
});
