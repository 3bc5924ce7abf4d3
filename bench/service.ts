import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchDatabase } from './section.js';

/** The admin key the bench service is started with; it belongs to the "demo" tenant. */
export const BENCH_API_KEY = 'prm_bench_admin_key_0123456789abcdef';

export type RunningService = {
  baseUrl: string;
  /** CPU time the service's processes have used so far, in seconds; undefined where /proc is missing. */
  cpuSeconds(): Promise<number | undefined>;
  /** Resident memory of the service's processes now, in bytes; undefined where /proc is missing. */
  residentBytes(): Promise<number | undefined>;
  stop(): Promise<void>;
  /** SIGKILL to its pid, as a crash would end it: no shutdown, nothing flushed. */
  kill(): Promise<void>;
};

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const START_TIMEOUT_MS = 120_000;
const QUIET_TIMEOUT_MS = 300_000;

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/**
 * The real service in a process of its own (`node --import tsx src/main.ts serve`), on a free port,
 * without the demo data, with the bench's admin key; resolves once /health answers 200 and shows no
 * jobs waiting.
 */
export async function startService(database: BenchDatabase, extraEnv: Record<string, string> = {}): Promise<RunningService> {
  const port = await freePort();
  const noModelDir = await mkdtemp(join(tmpdir(), 'prm-bench-no-model-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (/^(DATABASE_URL|PRM_|PUBLIC_BASE_URL|OPENAI_|TWILIO_)/.test(name)) delete env[name];
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    PRM_SEED_DEMO: 'false',
    PRM_ADMIN_API_KEY: BENCH_API_KEY,
    // No embedding model (the hub is out of reach here): it fails at once instead of timing out in the
    // background, and indexing falls back to its backfill; the vector sections load the test model themselves.
    PRM_EMBEDDING_MODEL_PATH: noModelDir,
    LOG_LEVEL: 'warn',
    // These rows measure capacity: 50 clients on one key as fast as the service answers, and the setup's
    // 1,000 patients through the API. The per-key limits (1,000 requests, 300 writes per 10 s) would cap
    // them, so they are raised out of reach here; the limiter still runs and its cost is measured.
    PRM_RATE_LIMIT_KEY_REQUESTS: '1000000000',
    PRM_RATE_LIMIT_KEY_WRITES: '1000000000',
    ...(database.kind === 'server' ? { DATABASE_URL: database.url } : { PRM_DATA_DIR: database.dataDir }),
    ...extraEnv,
  });
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVICE_NODE_ARGS?.split(' ') ?? []), '--import', 'tsx', 'src/main.ts', 'serve'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Keep the tail of its output: shown if it fails to start or dies under load.
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = once(child, 'exit');
  exited.catch(() => {}); // a spawn error shows up as the exit check below

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (true) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before answering:\n${output}`);
    const status = await fetch(`${baseUrl}/health`).then((response) => response.status, () => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service did not answer /health within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    await sleep(200);
  }

  // A quiet service: jobs earlier sections left behind run before anything is measured (the runner
  // section's 2,000 tickets take PGlite over a minute to index; measured during that, the agent's
  // one-at-a-time turns were ten times slower). A job retrying on its own schedule is waiting only
  // while it is due; should something never settle, the bench goes on after QUIET_TIMEOUT_MS.
  for (const quietBy = Date.now() + QUIET_TIMEOUT_MS; Date.now() < quietBy; await sleep(500)) {
    // The backlog is among the details /health gives only to a key.
    const health = (await fetch(`${baseUrl}/health`, { headers: { authorization: `Bearer ${BENCH_API_KEY}` } }).then((response) => response.json(), () => ({}))) as { jobs?: { waiting: number } };
    if ((health.jobs?.waiting ?? 0) === 0) break;
  }

  return {
    baseUrl,
    cpuSeconds: () => processCpuSeconds(child.pid),
    residentBytes: () => processResidentBytes(child.pid),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(noModelDir, { recursive: true, force: true });
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      await rm(noModelDir, { recursive: true, force: true });
    },
  };
}

/** VmRSS of a process and its descendants (the serving processes it forks), from /proc/<pid>/status. */
async function processResidentBytes(pid: number | undefined): Promise<number | undefined> {
  if (!pid) return undefined;
  const tree = await processTree(pid);
  if (tree.length === 0) return undefined;
  const sizes = await Promise.all(
    tree.map(async (member) => {
      const status = await readFile(`/proc/${member}/status`, 'utf8').catch(() => '');
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
    }),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}

/** The pids of a process and its descendants, from /proc. */
async function processTree(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined);
    if (stat) parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  if (!parents.has(pid)) return [];
  const inTree = (candidate: number): boolean => {
    for (let current: number | undefined = candidate; current; current = parents.get(current)) if (current === pid) return true;
    return false;
  };
  return [...parents.keys()].filter(inTree);
}

/**
 * utime + stime of a process and its descendants (the serving processes it forks), from
 * /proc/<pid>/stat; Linux counts in 1/100 s.
 */
async function processCpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (!pid) return undefined;
  const tree = await processTree(pid);
  if (tree.length === 0) return undefined;
  const seconds = await Promise.all(
    tree.map(async (member) => {
      const stat = await readFile(`/proc/${member}/stat`, 'utf8').catch(() => undefined);
      if (!stat) return 0;
      // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    }),
  );
  return seconds.reduce((sum, value) => sum + value, 0);
}
