import type { Practitioner as FhirPractitioner } from '@medplum/fhirtypes';
import { toIso } from '../../../schema.js';
import { Practitioner } from '../../appointments/entities.js';
import { contactPoints } from '../datatypes.js';
import { defineFhirType } from '../resource-type.js';
import { codeParameter, stringParameter } from '../search-parameters.js';

/** A practitioner as FHIR: the name as written (`name.text`: it is kept as one text), phone and email. */
export function practitionerResource(practitioner: Practitioner): FhirPractitioner {
  return {
    resourceType: 'Practitioner',
    id: practitioner.id,
    meta: { lastUpdated: toIso(practitioner.updatedAt) },
    active: practitioner.active,
    name: [{ text: practitioner.name }],
    ...contactPoints(practitioner),
  };
}

export const practitionerType = defineFhirType<Practitioner>({
  type: 'Practitioner',
  entity: Practitioner,
  parameters: {
    name: stringParameter({ documentation: 'The name.', properties: ['name'] }),
    active: codeParameter({ documentation: 'Whether the practitioner still takes appointments.', codes: { true: { active: true }, false: { active: false } } }),
  },
  toResources: async (_ctx, rows) => rows.map(practitionerResource),
});
