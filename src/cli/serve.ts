import cluster from 'node:cluster';
import { once } from 'node:events';
import { serve } from '@hono/node-server';
import { createApp } from '../app.js';
import { prepareDemo, type DemoInfo } from '../demo/prepare.js';
import type { RunningServices } from '../services.js';
import { backfillAtStart } from '../modules/vector/embedding.js';

/**
 * Starts the service; resolves when it has stopped (SIGINT/SIGTERM). With PRM_PROCESSES above 1 this
 * process prepares the database and the demo clinic, then forks that many processes that each serve
 * HTTP on the same port and run jobs (Node's cluster shares the port); a process that dies is
 * replaced. With the embedded database this process keeps it open for them.
 */
export async function serveCommand(services: RunningServices): Promise<void> {
  if (cluster.isWorker) return serveHttp(services);
  const demo = await prepareDemo(services);
  if (!services.email.configured) services.log.info('SMTP_URL/SMTP_FROM are not set: email is not sent');
  await backfillAtStart(services);
  if (services.config.processes <= 1) return serveHttp(services, demo);
  return supervise(services, demo);
}

function banner(services: RunningServices, port: number, demo: DemoInfo | undefined): string {
  const base = `http://localhost:${port}`;
  const lines = [
    `PRM Agent is running on ${base}${services.config.processes > 1 ? ` (${services.config.processes} processes)` : ''}`,
    `  API docs:      ${base}/docs   (ReDoc: ${base}/redoc, OpenAPI: ${base}/openapi.json)`,
    `  MCP endpoint:  ${base}/mcp`,
    `  Database:      ${services.databaseKind === 'server' ? 'PostgreSQL server (DATABASE_URL)' : `embedded PGlite in ${services.config.dataDir}`}`,
    ...(demo ? [`  Demo clinic:   ${demo.tenantName} (tenant "${demo.tenantSlug}")`] : []),
    ...adminKeyLines(demo, base),
  ];
  return `\n${lines.join('\n')}\n\n`;
}

/** How to act as admin: a new key once, where it is kept afterwards; never one given by PRM_ADMIN_API_KEY. */
function adminKeyLines(demo: DemoInfo | undefined, base: string): string[] {
  if (!demo) return [];
  const key = demo.newAdminKey ?? (demo.adminKeyFile ? `$(cat ${demo.adminKeyFile})` : '$PRM_ADMIN_API_KEY');
  const where = demo.newAdminKey
    ? `${demo.newAdminKey}   (shown this once; kept in ${demo.adminKeyFile}, readable only by you)`
    : demo.adminKeyFile
      ? `in ${demo.adminKeyFile}`
      : 'the one in PRM_ADMIN_API_KEY';
  return [`  Admin API key: ${where}`, `  Try:           curl -H "Authorization: Bearer ${key}" ${base}/api/v1/prm/tickets`];
}

/**
 * The first SIGINT or SIGTERM. Later ones are absorbed: a terminal's Ctrl+C reaches every process of
 * the group, and the npm/tsx wrappers forward it once more; stopping must not be cut short by them.
 */
const stopSignal = () =>
  new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => resolve(signal));
  });

/** HTTP and jobs in this process. */
async function serveHttp(services: RunningServices, demo?: DemoInfo): Promise<void> {
  const { config, log } = services;
  const app = createApp(services);
  services.jobs.start();
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
  // Idle keep-alive connections outlive a proxy's or load balancer's idle timeout (60 s is usual), so
  // the client side closes them: a server closing first races the client's next request on that
  // connection, which then fails (a 502 at the proxy, a reset webhook).
  if ('keepAliveTimeout' in server) {
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
  }
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ port, database: services.databaseKind, pid: process.pid }, 'listening');
  if (cluster.isPrimary) process.stdout.write(banner(services, port, demo));
  // Load the embedding model now, in the background, so /health and the log say at once whether semantic search has one.
  void services.embedder.ready();

  log.info({ signal: await stopSignal() }, 'stopping');
  // Idle keep-alive connections would hold close() open.
  if ('closeAllConnections' in server) server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Forks the serving processes, replaces any that dies, and stops them all on a signal. */
async function supervise(services: RunningServices, demo: DemoInfo | undefined): Promise<void> {
  const { config, log } = services;
  let stopping = false;
  const fork = () => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log.error({ pid: worker.process.pid, code, signal }, 'a serving process died; starting another');
    fork();
  });
  const workers = Array.from({ length: config.processes }, fork);
  const [[address]] = await Promise.all(workers.map((worker) => once(worker, 'listening') as Promise<[{ port: number }]>));
  process.stdout.write(banner(services, address.port, demo));

  log.info({ signal: await stopSignal() }, 'stopping');
  stopping = true;
  await Promise.all(
    Object.values(cluster.workers ?? {}).map(async (worker) => {
      if (!worker || worker.isDead()) return;
      const exited = once(worker, 'exit');
      worker.process.kill('SIGTERM');
      await exited;
    }),
  );
}
