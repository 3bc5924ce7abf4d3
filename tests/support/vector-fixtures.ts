import type { Harness, TestTenant } from './harness.js';

export const VECTOR_BASE = '/api/v1/prm/vector';

export type SearchAnswer = {
  mode: 'hybrid' | 'lexical' | 'vector';
  results: {
    score: number;
    snippet: string;
    text: string;
    source: { type: string; id: string; chunkIndex: number; title: string | null };
    patientId: string | null;
    sourceAt: string;
    matchedAllWords: boolean;
    similarity: number | null;
  }[];
};

/** The mode a search answers in on this run's database when a model is ready: PGlite has pgvector, the server here does not. */
export const expectedMode = (harness: Harness) => (harness.databaseKind === 'embedded' ? 'hybrid' : 'lexical');

export const search = (clinic: TestTenant, query: string, filters: Record<string, unknown> = {}, limit = 10) =>
  clinic.call<SearchAnswer>('POST', `${VECTOR_BASE}/search`, { query, filters, limit });

export const addKnowledge = (clinic: TestTenant, title: string, text: string, tags: string[] = []) =>
  clinic.call<{ sourceId: string; chunks: number; skipped: boolean }>('POST', `${VECTOR_BASE}/ingest/knowledge`, { title, text, tags });

export const clinicArticles = {
  parking: 'Parking is free in the garage behind the building on Harbor Street. Take a ticket at the gate and bring it to the front desk to be validated.',
  cancellation: 'Please cancel or reschedule at least 24 hours before your visit. Late cancellations and missed visits may be charged a fee of 40 dollars.',
  bring: 'Bring your insurance card, a photo ID and a list of the medicines you take. Arrive 15 minutes early to fill in the forms.',
};

/** Counts of the tenant's chunks with and without vectors, read from the stats operation. */
export async function chunkCounts(clinic: TestTenant) {
  const stats = await clinic.call<{ mode: string; pgvector: boolean; sources: { sourceType: string; chunks: number; withVectors: number; withoutVectors: number }[] }>('GET', `${VECTOR_BASE}/stats`);
  const of = (type: string) => stats.sources.find((source) => source.sourceType === type) ?? { chunks: 0, withVectors: 0, withoutVectors: 0 };
  return { stats, of };
}
