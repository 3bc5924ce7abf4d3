import { serve } from '@hono/node-server';
import { createApp } from '../app.js';
import { prepareDemo } from '../demo/prepare.js';
import type { RunningServices } from '../services.js';

/** Starts the HTTP service; resolves when it has stopped (SIGINT/SIGTERM). */
export async function serveCommand(services: RunningServices): Promise<void> {
  const { config, log } = services;
  const demo = await prepareDemo(services);
  const app = createApp(services);
  services.jobs.start();
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://localhost:${port}`;
  log.info({ port, database: services.databaseKind }, 'listening');
  process.stdout.write(
    [
      '',
      `PRM Agent is running on ${base}`,
      `  API docs:      ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
      `  MCP endpoint:  ${base}/mcp`,
      `  Database:      ${services.databaseKind === 'server' ? 'PostgreSQL server (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`}`,
      demo ? `  Demo clinic:   ${demo.tenantName} (tenant "${demo.tenantSlug}")` : '',
      demo?.adminKey ? `  Admin API key: ${demo.adminKey}` : '',
      demo?.adminKey ? `  Try:           curl -H "Authorization: Bearer ${demo.adminKey}" ${base}/api/v1/prm/tickets` : '',
      '',
    ]
      .filter((line, index, lines) => line !== '' || index === 0 || index === lines.length - 1)
      .join('\n') + '\n',
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      server.close(() => resolve());
      // Idle keep-alive connections would hold close() open.
      if ('closeAllConnections' in server) server.closeAllConnections();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
