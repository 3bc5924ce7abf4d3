import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The service in a process of its own (`src/main.ts serve`), one serving process on a free port, no
 * demo data, on `databaseUrl`: for tests that kill it by its pid. A killed process's jobs are taken up
 * again 2 s after its claim, not 2 minutes. `env` adds to (or overrides) these settings.
 */
export function spawnService(databaseUrl: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      PRM_PROCESSES: '1',
      PRM_SEED_DEMO: 'false',
      PRM_JOB_LOCK_SECONDS: '2',
      PRM_EMBEDDING_MODEL_PATH: join(tmpdir(), 'prm-tests-no-embedding-model'),
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: 'ignore',
  });
}
