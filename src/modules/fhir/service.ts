import type { Resource, ResourceType } from '@medplum/fhirtypes';
import type { AppContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { fhirTypeNamed } from './resources/index.js';

export { capabilityStatement } from './capability.js';
export { patientEverything } from './everything.js';
export { searchResources } from './search.js';

/** One resource of the clinic; an id it does not have (another clinic's, say) is 404. */
export async function readResource(ctx: AppContext, input: { type: ResourceType; id: string }): Promise<Resource> {
  const [resource] = await fhirTypeNamed(input.type).read(ctx, [input.id]);
  if (!resource) throw notFound(input.type, input.id);
  return resource;
}
