import type { OperationOutcome } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API } from './support/clinic-fixture.js';
import { FHIR, fhirError, fhirGet, idsFound } from './support/fhir.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

let harness: Harness;
let clinic: TestTenant;
let other: TestTenant;
let patientId = '';
let othersPatientId = '';

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
  other = await harness.newTenant();
  patientId = (await clinic.call<{ id: string }>('POST', `${API}/patients`, { givenName: 'Maria', familyName: 'Gonzalez', dateOfBirth: '1984-03-12' })).id;
  othersPatientId = (await other.call<{ id: string }>('POST', `${API}/patients`, { givenName: 'Maria', familyName: 'Gonzalez', dateOfBirth: '1984-03-12' })).id;
});
afterAll(() => harness.close());

/** The one issue of an outcome about a field: its code and the field it names. */
function namedIssue(outcome: OperationOutcome) {
  expect(outcome.issue).toHaveLength(1);
  return { code: outcome.issue[0].code, field: outcome.issue[0].expression?.[0], text: `${outcome.issue[0].details?.text} ${outcome.issue[0].diagnostics}` };
}

describe('FHIR errors as OperationOutcome', () => {
  it('answers 400 for a resource type not served, naming it', async () => {
    for (const path of ['/Observation', `/Observation/${patientId}`, '/Patientx?name=a']) {
      expect(namedIssue(await fhirError(clinic, path, 400))).toMatchObject({ code: 'invalid', field: 'type' });
    }
  });

  it.each([
    ['/Patient?_sort=name', '_sort', /no search parameter _sort/],
    ['/Appointment?patient:missing=true', 'patient:missing', /does not take the modifier :missing/],
    ['/Appointment?date=2026-13-45', 'date', /not a date/],
    ['/Appointment?date=ne2026-01-01', 'date', /prefix ne is not supported/],
    ['/Patient?birthdate=1984-03-12T10:00Z', 'birthdate', /without a time/],
    ['/Appointment?date=1800-01-01', 'date', /1900/],
    ['/Appointment?patient=Patient/1/_history/2', 'patient', /not a reference/],
    ['/Appointment?patient=Group/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', 'patient', /refers to Patient only/],
    ['/Appointment?patient=Patient/abc', 'patient', /the id a UUID/],
    ['/Patient?_id=abc', '_id', /not an id of this server/],
    ['/Appointment?status=confirmed', 'status', /not one of: proposed, pending, booked/],
    ['/Patient?phone=12', 'phone', /not a valid phone number/],
    ['/Patient?_count=many', '_count', /whole number/],
    ['/Patient?_count=5000', '_count', /whole number from 0 to 1000/],
    ['/Patient?_cursor=abc', '_cursor', /not a cursor/],
    ['/Patient?_format=xml', '_format', /only JSON/],
  ])('answers 400 for %s, naming %s', async (path, field, message) => {
    const issue = namedIssue(await fhirError(clinic, path, 400));
    expect(issue).toMatchObject({ code: 'invalid', field });
    expect(issue.text).toMatch(message);
  });

  it('answers 400 for an operation other than Patient/$everything', async () => {
    expect(namedIssue(await fhirError(clinic, `/Patient/${patientId}/$validate`, 400)).field).toBe('operation');
    expect(namedIssue(await fhirError(clinic, `/Appointment/${patientId}/$everything`, 400)).field).toBe('operation');
  });

  it('answers 400 for an id this server never gives out (not a UUID), naming it', async () => {
    expect(namedIssue(await fhirError(clinic, '/Patient/abc', 400)).field).toBe('id');
    expect(namedIssue(await fhirError(clinic, '/Patient/abc/$everything', 400)).field).toBe('id');
  });

  it('answers 404 for an unknown id, another clinic’s resource, and a path that is no interaction', async () => {
    const missing = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
    for (const path of [`/Patient/${missing}`, `/Appointment/${patientId}`, `/Patient/${othersPatientId}`, `/Patient/${othersPatientId}/$everything`, '/Patient/a/b/c']) {
      expect(namedIssue(await fhirError(clinic, path, 404)).code).toBe('not-found');
    }
    // The other clinic's patient is not among this clinic's search results either, by any parameter.
    expect(await idsFound(clinic, '/Patient?name=maria')).toEqual([patientId]);
    expect(await idsFound(clinic, `/Patient?_id=${othersPatientId}`)).toEqual([]);
    expect(await idsFound(other, `/Patient?_id=${othersPatientId}`)).toEqual([othersPatientId]);
  });

  it('answers 401 without a key or with a bad one, and 403 to an agent key', async () => {
    const missing = await fhirGet<OperationOutcome>(clinic, `/Patient/${patientId}`, { key: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="prm"');
    expect(missing.body.issue[0].code).toBe('login');
    expect((await fhirError(clinic, '/metadata', 401, { key: 'prm_not_a_key_0123456789abcdef' })).issue[0].code).toBe('login');
    const agent = await fhirError(clinic, `/Patient/${patientId}`, 403, { key: clinic.keys.agent });
    expect(agent.issue[0]).toMatchObject({ code: 'forbidden', details: { text: expect.stringContaining('staff') } });
    expect((await fhirGet(clinic, `/Patient/${patientId}`, { key: clinic.keys.staff })).status).toBe(200);
  });

  it('answers 405 to a write: the API is read-only', async () => {
    const response = await clinic.request('POST', `${FHIR}/Patient`, { body: { resourceType: 'Patient' } });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(((await response.json()) as OperationOutcome).issue[0].code).toBe('not-supported');
    expect((await clinic.request('DELETE', `${FHIR}/Patient/${patientId}`)).status).toBe(405);
  });

  it('logs refused calls in the run log, as every call', async () => {
    const answer = await fhirGet(clinic, '/Appointment?date=tomorrow');
    const runId = answer.headers.get('x-tool-run-id');
    const run = await clinic.call<{ tool: string; status: string; channel: string; error: { code: string } }>('GET', `${API}/agents/runs/${runId}`);
    expect(run).toMatchObject({ tool: 'fhir_search', status: 'rejected', channel: 'fhir', error: { code: 'invalid_input' } });
  });
});
