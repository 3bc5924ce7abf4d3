import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Bundle, CapabilityStatement, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAppointments } from './support/appointment-rows.js';
import { API } from './support/clinic-fixture.js';
import { expectValidFhir, linkOf, resourcesOf } from './support/fhir.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen } from './support/http-server.js';

let harness: Harness;
let clinic: TestTenant;
let http: Awaited<ReturnType<typeof listen>>;
let patientId = '';
const appointments: string[] = [];

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: 'fhir-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

/** A tool's structured answer, which must be valid FHIR. */
async function callFhir<T extends Bundle | Patient | CapabilityStatement>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  const resource = result.structuredContent as T;
  expectValidFhir(resource);
  return resource;
}

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
  http = await listen(harness.app.fetch);
  const location = (await clinic.call<{ id: string }>('POST', `${API}/locations`, { name: 'Harbor Street' })).id;
  const practitioner = (await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: 'Dr. Amelia Hart' })).id;
  patientId = (await clinic.call<{ id: string }>('POST', `${API}/patients`, { givenName: 'Maria', familyName: 'Gonzalez', dateOfBirth: '1984-03-12' })).id;
  const days = [1, 2, 3].map((day) => ({ tenantId: clinic.tenant.id, patientId, practitionerId: practitioner, locationId: location, startAt: new Date(`2026-04-0${day}T14:00:00Z`) }));
  appointments.push(...(await insertAppointments(harness.services, days)));
});
afterAll(async () => {
  await http.close();
  await harness.close();
});

describe('FHIR tools over a real MCP client', () => {
  it('lists the four read-only FHIR tools and runs each, logged as MCP runs', async () => {
    const client = await connect(clinic.keys.staff);
    try {
      const { tools } = await client.listTools();
      const fhirTools = tools.filter((tool) => tool.name.startsWith('fhir_'));
      expect(fhirTools.map((tool) => tool.name).sort()).toEqual(['fhir_capabilities', 'fhir_patient_everything', 'fhir_read', 'fhir_search']);
      for (const tool of fhirTools) expect(tool.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      expect(fhirTools.find((tool) => tool.name === 'fhir_search')?.inputSchema.properties?.type).toMatchObject({
        enum: ['Patient', 'Appointment', 'Communication', 'QuestionnaireResponse', 'AllergyIntolerance', 'MedicationStatement', 'Condition', 'FamilyMemberHistory', 'Practitioner', 'Location'],
      });

      const statement = await callFhir<CapabilityStatement>(client, 'fhir_capabilities', {});
      expect(statement.rest?.[0].resource?.map((resource) => resource.type)).toContain('Communication');
      expect(await callFhir<Patient>(client, 'fhir_read', { type: 'Patient', id: patientId })).toMatchObject({ resourceType: 'Patient', id: patientId });

      // Paging over MCP: the next link's _cursor goes back in as a parameter.
      const seen: string[] = [];
      let page = await callFhir<Bundle>(client, 'fhir_search', { type: 'Appointment', params: { patient: `Patient/${patientId}`, date: ['ge2026-04-01', 'lt2026-05-01'], _count: '2' } });
      expect(page.total).toBe(3);
      for (;;) {
        seen.push(...resourcesOf(page).map((resource) => resource.id ?? ''));
        const next = linkOf(page, 'next');
        if (!next) break;
        const cursor = new URL(next, 'http://base').searchParams.get('_cursor');
        page = await callFhir<Bundle>(client, 'fhir_search', { type: 'Appointment', params: { patient: `Patient/${patientId}`, date: ['ge2026-04-01', 'lt2026-05-01'], _count: '2', _cursor: cursor } });
      }
      expect(seen).toEqual(appointments);

      const everything = await callFhir<Bundle>(client, 'fhir_patient_everything', { id: patientId });
      expect(resourcesOf(everything).map((resource) => resource.resourceType)).toEqual(['Patient', 'Appointment', 'Appointment', 'Appointment', 'Practitioner', 'Location']);

      const runs = await clinic.call<{ items: { tool: string; status: string; channel: string; actor: { kind: string } }[] }>('GET', `${API}/agents/runs?actorKind=mcp&limit=50`);
      const logged = runs.items.filter((run) => run.tool.startsWith('fhir_'));
      expect(logged.map((run) => run.tool).sort()).toEqual(['fhir_capabilities', 'fhir_patient_everything', 'fhir_read', 'fhir_search', 'fhir_search']);
      expect(logged.every((run) => run.status === 'succeeded' && run.channel === 'mcp')).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('returns a bad parameter as a tool error naming it, logged as rejected; refuses an agent key', async () => {
    const client = await connect(clinic.keys.staff);
    try {
      const result = await client.callTool({ name: 'fhir_search', arguments: { type: 'Appointment', params: { date: 'soon' } } });
      expect(result.isError).toBe(true);
      expect((result.content as { text: string }[])[0].text).toMatch(/^invalid_input: Search parameter date: [\s\S]*\n- date: /);
      const unknownType = await client.callTool({ name: 'fhir_read', arguments: { type: 'Observation', id: patientId } });
      expect((unknownType.content as { text: string }[])[0].text).toMatch(/\n- type: /);
      const runs = await clinic.call<{ items: unknown[] }>('GET', `${API}/agents/runs?tool=fhir_search&status=rejected&actorKind=mcp`);
      expect(runs.items).toHaveLength(1);
    } finally {
      await client.close();
    }
    const agent = await connect(clinic.keys.agent);
    try {
      const refused = await agent.callTool({ name: 'fhir_read', arguments: { type: 'Patient', id: patientId } });
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toContain('forbidden');
    } finally {
      await agent.close();
    }
  });
});
