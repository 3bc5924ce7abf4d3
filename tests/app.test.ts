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

  it.each([
    ['/docs', 'SwaggerUIBundle'],
    ['/redoc', 'Redoc'],
  ])('serves %s offline: the page and every asset it names come from the service, reading /openapi.json', async (path, library) => {
    const page = await harness.app.request(path);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')?.toLowerCase()).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//i);
    const assets = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(assets.filter((asset) => asset.endsWith('.js')).length).toBeGreaterThanOrEqual(2);
    const contentTypes: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', png: 'image/png' };
    const scripts: string[] = [];
    for (const asset of assets) {
      expect(asset).toMatch(/^\/(docs|redoc)\//);
      const response = await harness.app.request(asset);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('content-type'), asset).toBe(contentTypes[asset.split('.').pop() ?? '']);
      expect(response.headers.get('cache-control'), asset).toMatch(/^public, max-age=\d+$/);
      expect(response.headers.get('x-content-type-options'), asset).toBe('nosniff');
      const body = new Uint8Array(await response.arrayBuffer());
      expect(body.length, asset).toBeGreaterThan(0);
      if (asset.endsWith('.js')) scripts.push(new TextDecoder().decode(body));
    }
    expect(scripts.some((script) => script.includes(`${library}`) && script.length > 500_000)).toBe(true);
    const init = scripts.find((script) => script.includes("'/openapi.json'"));
    expect(init).toBeDefined();
    // Swagger UI would otherwise send the document to validator.swagger.io for its badge.
    if (library === 'SwaggerUIBundle') expect(init).toContain('validatorUrl: null');
  });

  it('keeps the docs pages out of frames', async () => {
    for (const path of ['/docs', '/redoc']) {
      const response = await harness.app.request(path);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await harness.app.request('/nowhere');
    expect(response.status).toBe(404);
    expect((await response.json()).error.code).toBe('not_found');
  });
});
