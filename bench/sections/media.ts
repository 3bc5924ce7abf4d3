import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Goal, Row, Section } from '../section.js';
import { BENCH_API_KEY, startService, type RunningService } from '../service.js';
import { ms, percentile } from '../stats.js';

const MIB = 1024 * 1024;
const FILE_BYTES = 10 * MIB;
const RUNS = 20;
const PARALLEL = 20;

/** A 10 MB PDF by its first bytes (what the type check reads), different every time: no upload is stored once for another. */
const pdf = () => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(FILE_BYTES - 9)]);

async function upload(service: RunningService, bytes: Buffer, index: number): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/pdf' }), `scan-${index}.pdf`);
  const started = performance.now();
  const response = await fetch(`${service.baseUrl}/api/v1/prm/media`, { method: 'POST', headers: { authorization: `Bearer ${BENCH_API_KEY}` }, body: form });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`an upload answered ${response.status}: ${text.slice(0, 300)}`);
  return performance.now() - started;
}

const megabytes = (bytes: number) => `${(bytes / MIB).toFixed(1)} MB`;

export const media: Section = {
  title: 'Media: uploads',
  about: [
    `The service in its own process, one serving process (\`PRM_PROCESSES=1\`: the memory measured is the one process that takes the uploads, warmed up by the`,
    `uploads before), media on the local disk. ${RUNS} uploads of a ${FILE_BYTES / MIB} MB PDF (random bytes after its header: each a new file),`,
    `one at a time, timed from the request to the answer (multipart from the bench process over loopback). Then ${PARALLEL} such uploads at once;`,
    `*memory* is the resident memory of the service's process (VmRSS, sampled every 20 ms) at its highest during them, less what it was just before.`,
  ].join(' '),
  async run(database, progress) {
    const service = await startService(database, { PRM_PROCESSES: '1' });
    try {
      const files = Array.from({ length: Math.max(RUNS, PARALLEL) + 1 }, pdf);
      await upload(service, files[RUNS], RUNS); // warm-up
      progress(`${RUNS} uploads of ${FILE_BYTES / MIB} MB, one at a time`);
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) times.push(await upload(service, files[run], run));
      times.sort((a, b) => a - b);

      progress(`${PARALLEL} uploads of ${FILE_BYTES / MIB} MB at once`);
      const fresh = Array.from({ length: PARALLEL }, pdf);
      const before = (await service.residentBytes()) ?? 0;
      let peak = before;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, (await service.residentBytes()) ?? 0);
          await sleep(20);
        }
      })();
      const parallelStarted = performance.now();
      await Promise.all(fresh.map((bytes, index) => upload(service, bytes, 100 + index)));
      const parallelMs = performance.now() - parallelStarted;
      sampling = false;
      await sampler;
      const grew = peak - before;

      const rows: Row[] = [
        { label: `Upload of ${FILE_BYTES / MIB} MB, one at a time: p50 / p95 of ${RUNS}`, value: `${ms(percentile(times, 0.5))} / ${ms(percentile(times, 0.95))}` },
        { label: `${PARALLEL} uploads of ${FILE_BYTES / MIB} MB at once: all done in`, value: ms(parallelMs) },
        { label: `Memory during them: before → highest (grew)`, value: `${megabytes(before)} → ${megabytes(peak)} (${megabytes(grew)})` },
      ];
      const goals: Goal[] = [
        { goal: `Upload of a ${FILE_BYTES / MIB} MB file, local disk`, target: 'p95 < 300 ms', measured: ms(percentile(times, 0.95)), met: percentile(times, 0.95) < 300 },
        { goal: `Memory growth during ${PARALLEL} parallel ${FILE_BYTES / MIB} MB uploads`, target: '< 20 MB', measured: megabytes(grew), met: grew < 20 * MIB },
      ];
      return { rows, goals };
    } finally {
      await service.stop();
    }
  },
};
