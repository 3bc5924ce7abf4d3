import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { testEmbedder } from './support/embedding-model.js';
import { addKnowledge, chunkCounts, clinicArticles, expectedMode, search, VECTOR_BASE } from './support/vector-fixtures.js';

let harness: Harness;
let clinic: TestTenant;

/** Adds an article and runs the backfill, as the worker would right after the commit. */
async function ingest(tenant: TestTenant, title: string, text: string, tags: string[] = []) {
  const added = await addKnowledge(tenant, title, text, tags);
  await harness.services.jobs.drain({ tenantId: tenant.tenant.id });
  return added;
}

beforeAll(async () => {
  harness = await createHarness({ embedder: await testEmbedder() });
  clinic = await harness.newTenant();
  for (const [title, text] of Object.entries(clinicArticles)) await ingest(clinic, title, text, ['front-desk']);
});
afterAll(() => harness.close());

describe('knowledge search', () => {
  it('finds the article about the question, with its title and a highlighted snippet', async () => {
    const answer = await search(clinic, 'where do I park?');
    expect(answer.mode).toBe(expectedMode(harness));
    expect(answer.results[0].source).toMatchObject({ type: 'knowledge', title: 'parking', chunkIndex: 0 });
    expect(answer.results[0].snippet).toContain('**Parking**');
    expect(answer.results[0].patientId).toBeNull();
    expect(answer.results[0].matchedAllWords).toBe(true);
    expect(answer.results[0].score).toBeGreaterThan(0);
  });

  it('without vectors, finds an article by any word of a question', async () => {
    // Hybrid search leaves such questions to the vectors: with the test model's random weights they
    // carry no meaning, so this is checked where search is lexical (the server without pgvector).
    if (expectedMode(harness) !== 'lexical') return;
    const answer = await search(clinic, 'where can I park my car?');
    expect(answer.results[0].source).toMatchObject({ type: 'knowledge', title: 'parking' });
    expect(answer.results[0].matchedAllWords).toBe(false); // no article mentions a car
  });

  it('ranks by fused rank: the article sharing the most words comes first', async () => {
    const answer = await search(clinic, 'fee for a late cancellation');
    expect(answer.results[0].source.title).toBe('cancellation');
    expect(answer.results[0].matchedAllWords).toBe(true);
    expect(answer.results[0].similarity === null).toBe(harness.databaseKind === 'server');
    const scores = answer.results.map((result) => result.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('embeds every chunk once the backfill has run, where the database stores vectors', async () => {
    const { stats, of } = await chunkCounts(clinic);
    expect(stats.pgvector).toBe(harness.databaseKind === 'embedded');
    expect(of('knowledge').chunks).toBe(3);
    expect(of('knowledge').withVectors).toBe(harness.databaseKind === 'embedded' ? 3 : 0);
  });

  it('skips unchanged content and replaces changed content', async () => {
    const again = await ingest(clinic, 'parking', clinicArticles.parking, ['front-desk']);
    expect(again).toMatchObject({ skipped: true, chunks: 1 });
    const changed = await ingest(clinic, 'parking', 'Street parking only: the garage is closed for repairs until March.');
    expect(changed).toMatchObject({ skipped: false, chunks: 1, sourceId: again.sourceId });
    const answer = await search(clinic, 'garage repairs');
    expect(answer.results[0].text).toContain('closed for repairs');
    expect(answer.results.filter((result) => result.text.includes('Take a ticket at the gate'))).toEqual([]);
    await ingest(clinic, 'parking', clinicArticles.parking);
  });

  it('filters by source type and date range', async () => {
    const tickets = await search(clinic, 'parking', { sourceTypes: ['ticket_note'] });
    expect(tickets.results).toEqual([]);
    const future = await search(clinic, 'parking', { from: '2999-01-01T00:00:00Z' });
    expect(future.results).toEqual([]);
    const past = await search(clinic, 'parking', { to: '2000-01-01T00:00:00Z' });
    expect(past.results).toEqual([]);
    const now = await search(clinic, 'parking', { from: '2000-01-01T00:00:00Z', to: '2999-01-01T00:00:00Z', sourceTypes: ['knowledge'] });
    expect(now.results[0].source.title).toBe('parking');
  });

  it('searches by meaning alone in vector mode, where vectors exist', async () => {
    const { searchText } = await import('../src/modules/vector/search.js');
    const { createContext } = await import('../src/context.js');
    const { tenantEntityManager } = await import('../src/tools/runner.js');
    const ctx = createContext(harness.services, { tenant: clinic.tenant, actor: { kind: 'staff', id: 'test', role: 'staff' }, channel: 'rest' }, tenantEntityManager(harness.services, clinic.tenant.id));
    const vectorSearch = searchText(ctx, { query: 'insurance card photo ID', limit: 2, mode: 'vector' });
    if (harness.databaseKind === 'server') {
      await expect(vectorSearch).rejects.toMatchObject({ code: 'unprocessable' });
      return;
    }
    const answer = await vectorSearch;
    expect(answer.mode).toBe('vector');
    expect(answer.results[0].source.title).toBe('bring');
  });
});

describe('tenants and removal', () => {
  it('never returns another tenant’s chunks', async () => {
    const other = await harness.newTenant();
    expect((await search(other, 'parking garage')).results).toEqual([]);
    await ingest(other, 'parking', 'Our parking lot is on Elm Road.');
    const theirs = await search(other, 'parking');
    expect(theirs.results.map((result) => result.text)).toEqual([expect.stringContaining('Elm Road')]);
    const ours = await search(clinic, 'parking Elm Road');
    expect(ours.results.some((result) => result.text.includes('Elm Road'))).toBe(false);
  });

  it('deletes a source’s chunks and the knowledge record', async () => {
    const temporary = await ingest(clinic, 'flu shots', 'Flu shots are given on Tuesdays without an appointment.');
    expect((await search(clinic, 'flu shots')).results[0].source.id).toBe(temporary.sourceId);
    const deleted = await clinic.call<{ deleted: number }>('DELETE', `${VECTOR_BASE}/source/knowledge/${temporary.sourceId}`);
    expect(deleted.deleted).toBe(1);
    expect((await search(clinic, 'flu shots')).results.some((result) => result.source.id === temporary.sourceId)).toBe(false);
    expect(await clinic.call('DELETE', `${VECTOR_BASE}/source/knowledge/${temporary.sourceId}`)).toEqual({ deleted: 0 });
  });
});

describe('REST input and roles', () => {
  const issues = async (response: Response) => ((await response.json()) as { error: { issues: { path: string }[] } }).error.issues.map((issue) => issue.path);

  it('names the wrong field', async () => {
    const missing = await clinic.request('POST', `${VECTOR_BASE}/search`, { body: { filters: {} } });
    expect(missing.status).toBe(400);
    expect(await issues(missing)).toEqual(['query']);
    const badType = await clinic.request('POST', `${VECTOR_BASE}/search`, { body: { query: 'x', filters: { sourceTypes: ['email'] } } });
    expect(badType.status).toBe(400);
    expect(await issues(badType)).toEqual(['filters.sourceTypes.0']);
    const badLimit = await clinic.request('POST', `${VECTOR_BASE}/search`, { body: { query: 'x', limit: 0 } });
    expect(await issues(badLimit)).toEqual(['limit']);
    const badTitle = await clinic.request('POST', `${VECTOR_BASE}/ingest/knowledge`, { body: { title: '', text: 'x' } });
    expect(await issues(badTitle)).toEqual(['title']);
    const badSource = await clinic.request('DELETE', `${VECTOR_BASE}/source/notes/not-an-id`);
    expect(badSource.status).toBe(400);
    expect((await issues(badSource)).sort()).toEqual(['id', 'type']);
    const unknownMessage = await clinic.request('POST', `${VECTOR_BASE}/ingest/message`, { body: { messageId: '018f0000-0000-7000-8000-000000000000' } });
    expect(unknownMessage.status).toBe(404);
  });

  it('lets the agent search but not ingest, and stats report the model', async () => {
    const asAgent = await clinic.request('POST', `${VECTOR_BASE}/search`, { body: { query: 'parking' }, key: clinic.keys.agent });
    expect(asAgent.status).toBe(200);
    const ingest = await clinic.request('POST', `${VECTOR_BASE}/ingest/knowledge`, { body: { title: 'x', text: 'y' }, key: clinic.keys.agent });
    expect(ingest.status).toBe(403);
    const { stats } = await chunkCounts(clinic);
    expect(stats).toMatchObject({ mode: expectedMode(harness), embedder: { state: 'ready', dimensions: 384 } });
    const health = await clinic.call<{ ok: boolean; mode: string; embeddingMs: number | null }>('GET', `${VECTOR_BASE}/health/check`);
    expect(health).toMatchObject({ ok: harness.databaseKind === 'embedded', mode: expectedMode(harness) });
    expect(health.embeddingMs).toBeGreaterThanOrEqual(0);
  });
});
