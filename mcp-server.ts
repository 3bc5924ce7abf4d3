/**
 * The MCP server over stdio, for desktop AI clients: `npx tsx mcp-server.ts` with the API key in
 * PRM_API_KEY. It uses the running service's embedded database when one is running (or DATABASE_URL),
 * and acts with the key's tenant and role. stdout belongs to the protocol: logs go to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { loadConfig } from './src/config.js';
import { createLogger } from './src/log.js';
import { AppError } from './src/errors.js';
import { openServices } from './src/services.js';
import { keyCaller } from './src/key-caller.js';
import { createMcpServer } from './src/tools/mcp.js';

const config = loadConfig();
const log = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, destination: 'stderr' });

if (!config.apiKey) {
  process.stderr.write('PRM_API_KEY is not set: the MCP server acts with an API key of the clinic (npm run keys -- create).\n');
  process.exit(2);
}

const services = await openServices(config, log);
// The key is checked now, and again at a tool call once the last check is a few seconds old: a key
// revoked while the session runs stops working within KEY_RECHECK_MS.
const caller = keyCaller(services, config.apiKey, { channel: 'mcp', actorKind: 'mcp' });
const found = await caller().catch((error: unknown) => {
  if (error instanceof AppError && error.code === 'unauthorized') return undefined;
  throw error;
});
if (!found) {
  process.stderr.write('PRM_API_KEY is unknown or revoked.\n');
  await services.close();
  process.exit(2);
}

const server = createMcpServer(services, caller);
const transport = new StdioServerTransport();
let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  await server.close();
  await services.close();
  process.exit(0);
};
transport.onclose = () => void shutdown();
process.stdin.once('end', () => void shutdown());
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
await server.connect(transport);
log.info({ tenant: found.tenant.slug }, 'MCP server ready on stdio');
