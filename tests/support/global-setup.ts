import type { TestProject } from 'vitest/node';
import { openTestDatabase } from './test-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: 'server' | 'embedded';
  }
}

/**
 * One database for the whole run: the PostgreSQL server at TEST_DATABASE_URL, or else an embedded
 * PGlite in a temporary folder. Migrated once; every test works in tenants of its own.
 */
export default async function setup(project: TestProject) {
  const database = await openTestDatabase(process.env.TEST_DATABASE_URL);
  project.provide('databaseUrl', database.url);
  project.provide('databaseKind', database.kind);
  return () => database.close();
}
