/** Percentiles and number formatting for the report. */

/** Nearest-rank percentile of an ascending array; `p` in 0..1. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export const ascending = (samples: number[]): number[] => [...samples].sort((a, b) => a - b);

export type Summary = { count: number; p50: number; p95: number; p99: number; max: number };

export function summarize(samples: number[]): Summary {
  const sorted = ascending(samples);
  return { count: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** Milliseconds with precision that suits their size: 0.123 ms, 4.56 ms, 123 ms. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const digits = Math.abs(value) < 1 ? 3 : Math.abs(value) < 100 ? 2 : 0;
  return `${value.toFixed(digits)} ms`;
}

export const count = (value: number): string => Math.round(value).toLocaleString('en-US');

export const rate = (value: number): string => `${value.toLocaleString('en-US', { maximumFractionDigits: value < 100 ? 1 : 0 })}/s`;

/** Times `runs` sequential calls after `warmUp` untimed ones. */
export async function timeCalls(call: () => Promise<unknown>, options: { runs: number; warmUp: number }): Promise<Summary> {
  const samples: number[] = [];
  for (let index = 0; index < options.warmUp + options.runs; index++) {
    const started = performance.now();
    await call();
    if (index >= options.warmUp) samples.push(performance.now() - started);
  }
  return summarize(samples);
}
