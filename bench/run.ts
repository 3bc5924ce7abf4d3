// `npm run bench`: every section on the embedded database and on the PostgreSQL server, then
// bench/results.md (also printed). Progress goes to stderr. Settings (environment):
//   BENCH_DATABASES=embedded,server   which databases (default both)
//   BENCH_DATABASE_URL=postgres://...  use this database as it is instead of a fresh prm_bench_<timestamp>
//   BENCH_LOAD_SECONDS=20              length of each REST load run
//   BENCH_SECTIONS=slot,runner         only the sections whose title contains one of these words
//   BENCH_AGENT_MODES=guided,model     the agent section's modes (default both; empty: only its in-process rows)
//   BENCH_AGENT_RATE=100               the agent section's offered messages/s (its goal is at 100)
//   BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"  node options for the services the bench starts (profiling)
import { writeFile } from 'node:fs/promises';
import { prepareEmbedded, prepareServer, type Prepared } from './databases.js';
import { describeMachine, loadAverage } from './machine.js';
import { renderReport, type SectionOutcome } from './report.js';
import { sections } from './sections/index.js';

const started = performance.now();
const progress = (message: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

const machine = await describeMachine();
const wanted = (process.env.BENCH_DATABASES ?? 'embedded,server').split(',').map((name) => name.trim());
const prepared: Prepared[] = [];
const skipped: string[] = [];
const cleanup = async () => {
  for (const database of prepared.splice(0)) await database.cleanup().catch((error: Error) => progress(`cleanup of ${database.database.label} failed: ${error.message}`));
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

if (wanted.includes('embedded')) {
  progress('preparing the embedded database');
  prepared.push(await prepareEmbedded());
}
if (wanted.includes('server')) {
  progress('preparing the PostgreSQL server database');
  const server = await prepareServer();
  if ('skipped' in server) {
    skipped.push(`server (PostgreSQL): ${server.skipped}.`);
    progress(`skipping the server: ${server.skipped}`);
  } else prepared.push(server);
}
const databases = prepared.map(({ database, version }) => ({ label: database.label, version }));

const only = process.env.BENCH_SECTIONS?.toLowerCase().split(',').map((word) => word.trim()).filter(Boolean);
const chosen = only ? sections.filter((section) => only.some((word) => section.title.toLowerCase().includes(word))) : sections;
const outcomes: SectionOutcome[] = chosen.map((section) => ({ section, results: new Map() }));
try {
  for (const { database } of [...prepared]) {
    for (const outcome of outcomes) {
      const earlier = outcome.section.databaseFree ? [...outcome.results.values()][0] : undefined;
      if (earlier) {
        outcome.results.set(database.label, earlier);
        continue;
      }
      const where = `${database.label} · ${outcome.section.title}`;
      progress(where);
      try {
        outcome.results.set(database.label, await outcome.section.run(database, (message) => progress(`${where}: ${message}`)));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        progress(`${where} FAILED: ${error instanceof Error ? error.stack : message}`);
        outcome.results.set(database.label, { failed: message.slice(0, 600) });
      }
    }
  }
} finally {
  await cleanup();
}

const markdown = renderReport({ machine, databases, skipped, outcomes, minutes: (performance.now() - started) / 60_000, loadAfter: loadAverage() });
await writeFile(new URL('./results.md', import.meta.url), markdown);
process.stdout.write(markdown);
// Exit explicitly: a pool or timer left open must not keep a finished run alive.
process.exit(0);
