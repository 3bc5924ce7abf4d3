import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Services } from '../context.js';
import { databaseHealth } from '../db/database.js';
import { jobsWaiting } from '../jobs/enqueue.js';
import { requireApiKey } from './auth.js';
import type { AppEnv } from './env.js';

/**
 * `GET /health`: anyone (a load balancer, a monitor) learns up or down, `{ status }` with 200 or 503.
 * The details (version, database, job backlog, embedding model) go only to a caller with a valid API
 * key of any role: they tell an attacker what runs and how busy it is. A request that sends a key is
 * checked like any other (401 for a bad one).
 */
export function mountHealth(app: OpenAPIHono<AppEnv>, services: Services, options: { version: string }): void {
  const requireKey = requireApiKey(services, { channel: 'rest', writes: () => false });
  const withKey = (header: string | undefined) => header !== undefined;
  app.use('/health', (c, next) => (withKey(c.req.header('authorization')) ? requireKey(c, next) : next()));
  app.get('/health', async (c) => {
    const database = await databaseHealth(services.orm);
    const status = database.ok ? 'ok' : 'unavailable';
    const code = database.ok ? 200 : 503;
    // Past the middleware, a request that sent a key has a valid one.
    if (!withKey(c.req.header('authorization'))) return c.json({ status }, code);
    return c.json(
      {
        status,
        version: options.version,
        database: { kind: services.databaseKind, ...database },
        // The backlog: jobs due or running (turns, deliveries, indexing), counted up to 10,000.
        jobs: database.ok ? { waiting: await jobsWaiting(services.orm.em.fork()) } : undefined,
        // Without a model the service runs, and semantic search answers from full text alone.
        embeddings: services.embedder.status(),
      },
      code,
    );
  });
}
