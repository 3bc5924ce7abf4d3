import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter } from '../../db/base.js';
import { intakeStatuses, recordKinds } from '../intake/entities.js';

/**
 * An intake record with what FHIR needs of its session: the patient, the session's status, and the
 * session's `updatedAt` as the record's own (a session changes with each of its records, on submit,
 * on review and when a merge moves it to another patient, so a resource made of a record never
 * changes without it). A virtual entity: a query, not a table; MikroORM wraps it as a subquery, so
 * searches filter, count and page on the session's columns as on the record's, tenant filter included.
 */
export const IntakeRecordInSession = defineEntity({
  name: 'IntakeRecordInSession',
  expression: `select r.id, r.tenant_id, r.session_id, r.client_item_id, r.kind, r.data, r.created_at,
      s.patient_id, s.status as session_status, s.updated_at
    from intake_record r join intake_session s on s.tenant_id = r.tenant_id and s.id = r.session_id`,
  filters: tenantFilter,
  // No primary key: MikroORM allows none on a virtual entity (its rows are never managed).
  properties: {
    id: p.uuid(),
    tenantId: p.uuid(),
    sessionId: p.uuid(),
    clientItemId: p.string(),
    kind: p.enum([...recordKinds]),
    data: p.json<Record<string, unknown>>(),
    createdAt: p.datetime(),
    patientId: p.uuid(),
    sessionStatus: p.enum([...intakeStatuses]),
    /** The session's. */
    updatedAt: p.datetime(),
  },
});
export type IntakeRecordInSession = InferEntity<typeof IntakeRecordInSession>;
