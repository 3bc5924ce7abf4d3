import { expect } from 'vitest';
import { newId } from '../src/ids.js';
import type { Harness, TestTenant } from './support/harness.js';

/** Helpers for the appointments tests: REST setup of locations, practitioners and schedules. */

export const API = '/api/v1/prm';

export type ScheduleRuleBody = {
  weekday: number;
  startTime: string;
  endTime: string;
  slotMinutes: number;
  locationId: string;
  validFrom?: string;
  validUntil?: string;
};

/** Monday to Friday, 09:00-12:00 clinic time, 30-minute slots: six slots a day. */
export const weekdayMornings = (locationId: string): ScheduleRuleBody[] =>
  [1, 2, 3, 4, 5].map((weekday) => ({ weekday, startTime: '09:00', endTime: '12:00', slotMinutes: 30, locationId }));

/** Patients are another module's; the tests insert them directly. */
export async function createPatient(harness: Harness, clinic: TestTenant, givenName = 'Pat'): Promise<string> {
  const id = newId();
  await harness.services.orm.em
    .fork()
    .execute(
      'insert into patient (id, tenant_id, given_name, family_name, date_of_birth, sex, status, created_at, updated_at) values (?,?,?,?,?,?,?,now(),now())',
      [id, clinic.tenant.id, givenName, 'Tester', '1980-05-17', 'female', 'active'],
    );
  return id;
}

export async function createLocation(clinic: TestTenant, name = 'Main Street'): Promise<string> {
  const location = await clinic.call<{ id: string }>('POST', `${API}/locations`, { name });
  return location.id;
}

/** A practitioner with a weekly schedule (weekday mornings at a new location unless told). */
export async function createScheduledPractitioner(
  clinic: TestTenant,
  options: { name?: string; specialty?: string; locationId?: string; rules?: (locationId: string) => ScheduleRuleBody[] } = {},
): Promise<{ practitionerId: string; locationId: string }> {
  const locationId = options.locationId ?? (await createLocation(clinic));
  const practitioner = await clinic.call<{ id: string }>('POST', `${API}/practitioners`, {
    name: options.name ?? 'Dr. Ana Ruiz',
    ...(options.specialty ? { specialty: options.specialty } : {}),
  });
  await clinic.call('PUT', `${API}/practitioners/${practitioner.id}/schedule`, { rules: (options.rules ?? weekdayMornings)(locationId) });
  return { practitionerId: practitioner.id, locationId };
}

export type Slot = { practitionerId: string; locationId: string; startAt: string; endAt: string; startLocal: string; endLocal: string; timeZone: string };

export async function searchSlots(clinic: TestTenant, query: Record<string, string>): Promise<Slot[]> {
  const result = await clinic.call<{ items: Slot[] }>('GET', `${API}/slots?${new URLSearchParams(query)}`);
  return result.items;
}

/** Expects an error answer; returns its body. `path` is a field the issues must name. */
export async function expectError(response: Response, status: number, path?: string) {
  const body = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(status);
  if (path !== undefined) expect(body.error.issues?.map((issue: { path: string }) => issue.path) ?? [], JSON.stringify(body)).toContain(path);
  return body as { error: { code: string; message: string; issues?: { path: string; message: string }[]; details?: Record<string, unknown> } };
}

/** Rows of a table for one tenant, counted with SQL (what was really written). */
export async function countRows(harness: Harness, clinic: TestTenant, table: string, where = 'true', parameters: unknown[] = []): Promise<number> {
  const rows = await harness.services.orm.em
    .fork()
    .execute<{ count: string }[]>(`select count(*)::int as count from ${table} where tenant_id = ? and ${where}`, [clinic.tenant.id, ...parameters]);
  return Number(rows[0].count);
}
