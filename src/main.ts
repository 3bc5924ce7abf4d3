import { chatCommand } from './cli/chat.js';
import { ingestCommand } from './cli/ingest.js';
import { keysCommand } from './cli/keys.js';
import { serveCommand } from './cli/serve.js';
import { tenantsCommand } from './cli/tenants.js';
import { UsageError } from './cli/args.js';
import { loadConfig } from './config.js';
import { prepareDemo } from './demo/prepare.js';
import { createLogger } from './log.js';
import { openServices } from './services.js';

const usage = `usage: tsx src/main.ts <command>
  serve      start the HTTP service (npm start)
  migrate    apply pending database migrations (npm run migrate)
  seed       create the demo clinic if it does not exist (npm run seed)
  tenants    create or list tenants (npm run tenants -- help)
  keys       create, list or revoke API keys (npm run keys -- help)
  chat       talk to the agent in the terminal as a patient (npm run chat -- --phone +15551234567)
  ingest     add a folder of .md and .txt articles to a clinic's knowledge (npm run ingest -- <folder> [--tenant slug])`;

const commands: Record<string, (services: Awaited<ReturnType<typeof openServices>>, argv: string[]) => Promise<unknown>> = {
  serve: serveCommand,
  // Opening the services applies the migrations; nothing else to do.
  migrate: async (services) => console.log(`database is up to date (${services.databaseKind})`),
  seed: async (services) => {
    const demo = await prepareDemo({ ...services, config: { ...services.config, seedDemo: true } });
    const key = demo?.newAdminKey ? `; new admin API key (shown once, kept in ${demo.adminKeyFile}): ${demo.newAdminKey}` : '';
    console.log(demo ? `demo clinic "${demo.tenantSlug}" is ready${key}` : 'nothing to do');
  },
  tenants: tenantsCommand,
  keys: keysCommand,
  chat: chatCommand,
  ingest: ingestCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name = 'serve', ...rest] = argv;
  const command = commands[name];
  if (!command) {
    console.error(usage);
    return 2;
  }
  const config = loadConfig();
  const log = createLogger({ level: name === 'serve' ? config.logLevel : 'warn' });
  const services = await openServices(config, log);
  try {
    await command(services, rest);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    console.error(error instanceof Error ? error.message : error);
    return 1;
  } finally {
    await services.close();
  }
}

const code = await main(process.argv.slice(2));
// Writes to a pipe are asynchronous: a listing longer than the pipe holds may still be on its way.
// A write's callback runs once everything written before it has reached the pipe. ('drain' is no
// way to wait: it is emitted only after a write past the high-water mark, so waiting for it with
// less than that pending leaves a top-level await unsettled, and Node exits with code 13.)
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((written) => stream.write('', written))));
// Exit explicitly: a pool or timer left open must not keep a finished command alive.
process.exit(code);
