import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import type { Caller } from '../context.js';
import { demoClinic } from '../demo/seed.js';
import { Tenant } from '../modules/tenancy/entities.js';
import { tenantInfo } from '../modules/tenancy/service.js';
import { ingestArticles } from '../modules/vector/ingest-articles.js';
import type { RunningServices } from '../services.js';
import { commandArgs, UsageError } from './args.js';

const usage = `usage: npm run ingest -- <folder> [--tenant <slug>]
  Adds every .md and .txt file below <folder> to the clinic's knowledge (default tenant: ${demoClinic.slug}).
  A file's title is its first "# heading", else its name; files whose text is unchanged are skipped.`;

const READABLE = new Set(['.md', '.markdown', '.txt']);

async function filesBelow(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name)).sort();
}

const titleOf = (path: string, text: string) => text.match(/^#\s+(.+)$/m)?.[1].trim().slice(0, 200) || basename(path, extname(path));

/**
 * Ingests a folder of articles as knowledge through the `ingest_knowledge` operation (so every file is
 * in the run log), embedding each file's chunks while the next file is stored (see ingestArticles).
 * PDF files are skipped: no PDF parser is a dependency of the project.
 */
export async function ingestCommand(services: RunningServices, argv: string[]): Promise<void> {
  const { values, positionals } = commandArgs(argv, { tenant: { type: 'string' } });
  const folder = positionals[0];
  if (!folder) throw new UsageError(usage);
  const slug = typeof values.tenant === 'string' ? values.tenant : demoClinic.slug;
  const tenant = await services.orm.em.fork().findOne(Tenant, { slug });
  if (!tenant) throw new UsageError(`No tenant "${slug}".\n${usage}`);
  const caller: Caller = { tenant: tenantInfo(tenant), actor: { kind: 'system', id: 'cli-ingest', role: 'system' }, channel: 'cli' };

  const files = await filesBelow(folder);
  const readable = files.filter((path) => READABLE.has(extname(path).toLowerCase()));
  const started = performance.now();
  const totals = { ingested: 0, unchanged: 0, failed: 0, chunks: 0 };
  const progress = (done: number) => {
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`\r${done}/${readable.length} files, ${totals.chunks} chunks, ${(totals.chunks / Math.max(seconds, 0.001)).toFixed(1)} chunks/s   `);
  };
  let done = 0;
  const articles = async function* () {
    for (const path of readable) {
      const text = (await readFile(path, 'utf8')).trim();
      if (text === '') progress(++done);
      else yield { name: path, title: titleOf(path, text), text };
    }
  };
  await ingestArticles(services, caller, articles(), (outcome) => {
    if (!outcome.ok) {
      totals.failed += 1;
      process.stderr.write(`\n${relative(folder, outcome.name)}: ${outcome.error.message}\n`);
    } else if (outcome.ingested.skipped) totals.unchanged += 1;
    else {
      totals.ingested += 1;
      totals.chunks += outcome.ingested.chunks;
    }
    progress(++done);
  });
  const seconds = (performance.now() - started) / 1000;
  const ignored = files.length - readable.length;
  process.stderr.write('\n');
  console.log(
    `${slug}: ${totals.ingested} files ingested (${totals.chunks} chunks), ${totals.unchanged} unchanged, ${totals.failed} failed` +
      `${ignored > 0 ? `, ${ignored} not .md or .txt (PDF is not supported)` : ''}; ${seconds.toFixed(1)} s, ${(totals.chunks / Math.max(seconds, 0.001)).toFixed(1)} chunks/s`,
  );
  if (totals.failed > 0) throw new Error(`${totals.failed} files could not be ingested.`);
}
