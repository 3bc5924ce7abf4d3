import type { ExtractResource, Reference, ResourceType } from '@medplum/fhirtypes';
import { validate as isUuid } from 'uuid';

/** A stable, relative reference: `Patient/{id}`. */
export const referenceTo = <Type extends ResourceType>(type: Type, id: string): Reference<ExtractResource<Type>> => ({ reference: `${type}/${id}` });

const TYPE_NAME = /^[A-Z][A-Za-z]{1,63}$/;

/**
 * `Patient/{id}`, a bare `{id}`, or an absolute `https://host/fhir/R4/Patient/{id}`, as its type (when
 * named) and id. Undefined for anything else: a versioned reference (`/_history/`), a relative path
 * of more than two parts, an id that is not a UUID (every id this server gives out is one, and every
 * route refuses any other id as malformed, here too).
 */
export function parseReference(text: string): { type?: string; id: string } | undefined {
  const parts = text.split('/');
  if (parts.length > 2 && !/^https?:\/\//.test(text)) return undefined;
  const id = parts[parts.length - 1];
  const type = parts.length > 1 ? parts[parts.length - 2] : undefined;
  if (!isUuid(id) || (type !== undefined && !TYPE_NAME.test(type))) return undefined;
  return type === undefined ? { id } : { type, id };
}
