import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './support/harness.js';

let harness: Harness;

beforeAll(async () => {
  harness = await createHarness();
});
afterAll(() => harness.close());

describe('the service’s own routes', () => {
  it('tells a caller without a key only whether the service is up', async () => {
    const response = await harness.app.request('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('gives the details of /health to a valid key of any role, and 401 to a bad one', async () => {
    const clinic = await harness.newTenant();
    for (const key of [clinic.keys.agent, clinic.keys.admin]) {
      const response = await harness.app.request('/health', { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ok', version: expect.any(String), database: { kind: harness.databaseKind, ok: true, latencyMs: expect.any(Number) }, jobs: { waiting: expect.any(Number) } });
    }
    const bad = await harness.app.request('/health', { headers: { authorization: 'Bearer prm_not_a_key_0123456789abcdef' } });
    expect(bad.status).toBe(401);
  });

  it('says in /health when no embedding model can be loaded, and still answers 200', async () => {
    await harness.services.embedder.ready(); // the harness points the model path at an empty folder
    const clinic = await harness.newTenant();
    const response = await harness.app.request('/health', { headers: { authorization: `Bearer ${clinic.keys.staff}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { embeddings: { state: string; reason: string; dimensions: number } };
    expect(body.embeddings).toMatchObject({ state: 'unavailable', dimensions: 384, reason: expect.stringContaining('prm-tests-no-embedding-model') });
  });

  it('serves an OpenAPI 3.1 document with every operation, generated from the schemas', async () => {
    const document = (await (await harness.app.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; requestBody?: unknown; responses: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    const operationIds = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((operation) => operation.operationId));
    for (const operation of harness.services.registry.operations) expect(operationIds).toContain(operation.name);
    expect(operationIds).toContain('run_tool');
    expect(document.paths['/api/v1/prm/tickets/{id}'].patch.requestBody).toBeDefined();
    expect(document.paths['/api/v1/prm/tickets'].post.responses).toHaveProperty('201');
    expect(document.components.securitySchemes).toHaveProperty('bearerAuth');
  });

  it('serves the interactive docs at /docs', async () => {
    const response = await harness.app.request('/docs');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('/openapi.json');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await harness.app.request('/nowhere');
    expect(response.status).toBe(404);
    expect((await response.json()).error.code).toBe('not_found');
  });
});
