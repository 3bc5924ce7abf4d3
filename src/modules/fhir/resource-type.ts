import type { EntityName, FilterQuery, QueryOrderMap } from '@mikro-orm/core';
import type { Resource, ResourceType } from '@medplum/fhirtypes';
import type { AppContext } from '../../context.js';

/**
 * A condition on an entity's properties, as the ORM takes it (`{ startAt: { $gte: … } }`). Kept
 * untyped here so that one list can hold every resource type; each type's own file builds its
 * conditions from its own entity's property names, and the tests run every one of them.
 */
export type Condition = Record<string, unknown>;

/** A condition no row meets: `$in` an empty list, which the ORM sends as `1 = 0`. */
export const NOTHING: Condition = { id: { $in: [] } };

/** One occurrence of a search parameter's value: `date=ge2026-01-01` is name `date`, value `ge2026-01-01`. */
export type ParameterValue = { name: string; value: string; modifier?: string };

export type SearchParameter = {
  /** Its FHIR search parameter type, as the CapabilityStatement states it. */
  type: 'token' | 'reference' | 'date' | 'string';
  documentation: string;
  /** The modifiers it takes (`exact`, `contains`, `Patient`); none unless listed. */
  modifiers?: readonly string[];
  /**
   * The condition for one value. Values separated by commas are alternatives, each read on its own;
   * a value it cannot read is refused with `invalid` naming the parameter.
   */
  condition(ctx: AppContext, value: ParameterValue): Condition | Promise<Condition>;
};

/** What the search, read and $everything code knows of a resource type: the same for every type. */
export type FhirType = {
  type: ResourceType;
  parameters: Readonly<Record<string, SearchParameter>>;
  /**
   * The reference parameter that names the patient a resource is about: $everything gathers every
   * type that has one. Types without one (Practitioner, Location) are added to $everything only
   * where a resource of the patient refers to them.
   */
  patientParameter?: string;
  /** The clinic's resources with these ids; ids it does not have are left out. */
  read(ctx: AppContext, ids: readonly string[]): Promise<Resource[]>;
  /** The resources meeting every condition, by id ascending (ids are time-ordered UUIDv7), after `after`; `count` at most, or all. */
  find(ctx: AppContext, query: { conditions: readonly Condition[]; after?: string; count?: number }): Promise<Resource[]>;
  count(ctx: AppContext, conditions: readonly Condition[]): Promise<number>;
};

/**
 * A resource type backed by one entity of another module, read through the ORM (so through the
 * tenant filter: another clinic's rows are never seen). `toResources` maps a page of rows, loading
 * what else they need (a patient's identifiers, a message's conversation) once for the page.
 */
export function defineFhirType<Entity extends { id: string }>(definition: {
  type: ResourceType;
  entity: EntityName<Entity>;
  /** What every row a read or search shows meets (a patient not deleted). */
  visible?: Condition;
  parameters: Record<string, SearchParameter>;
  patientParameter?: string;
  toResources(ctx: AppContext, rows: Entity[]): Promise<Resource[]>;
}): FhirType {
  // The conditions name the entity's properties, but as plain objects (see Condition): typed here, once.
  const where = (conditions: readonly Condition[]) =>
    ({ $and: [...(definition.visible ? [definition.visible] : []), ...conditions] }) as FilterQuery<Entity>;
  const byId = { id: 'asc' } as QueryOrderMap<Entity>;
  const find = async (ctx: AppContext, conditions: readonly Condition[], options: { count?: number } = {}) => {
    const rows = await ctx.em.find(definition.entity, where(conditions), {
      orderBy: byId,
      ...(options.count === undefined ? {} : { limit: options.count }),
    });
    return rows.length === 0 ? [] : definition.toResources(ctx, rows);
  };
  return {
    type: definition.type,
    parameters: definition.parameters,
    patientParameter: definition.patientParameter,
    read: (ctx, ids) => (ids.length === 0 ? Promise.resolve([]) : find(ctx, [{ id: { $in: [...ids] } }])),
    find: (ctx, query) => find(ctx, query.after === undefined ? query.conditions : [...query.conditions, { id: { $gt: query.after } }], { count: query.count }),
    count: (ctx, conditions) => ctx.em.count(definition.entity, where(conditions)),
  };
}
