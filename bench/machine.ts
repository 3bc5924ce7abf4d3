import { readFile } from 'node:fs/promises';
import { arch, availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import { loadConfig } from '../src/config.js';

export type Machine = { cpu: string; cores: number; memory: string; os: string; node: string; date: string; loadBefore: string };

/** The 1-, 5- and 15-minute load averages: other work on the machine skews the numbers. */
export const loadAverage = (): string => loadavg().map((value) => value.toFixed(2)).join(' / ');

/** The distribution's name from /etc/os-release, when there is one. */
async function distribution(): Promise<string | undefined> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(text)?.[1];
}

/** What the numbers were measured on. */
export async function describeMachine(): Promise<Machine> {
  const processors = cpus();
  const kernel = `${type()} ${release()} ${arch()}`;
  const name = await distribution();
  return {
    cpu: processors[0]?.model.trim() || 'unknown',
    cores: processors.length,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os: name ? `${name} (${kernel})` : kernel,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadBefore: loadAverage(),
  };
}

/** The inference threads each serving process of `serve` gives the embedding model by default here. */
export const SERVING_THREADS = Math.max(1, Math.floor(availableParallelism() / loadConfig({}).processes));
