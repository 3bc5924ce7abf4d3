import type { Mode } from './case-format.js';
import type { CaseResult } from './runner.js';

/** A failed case run as read in a test failure or by `npm run eval`: what failed, then the whole conversation. */
export function failureReport(result: CaseResult): string {
  return [`${result.id} [${result.mode}] failed:`, ...result.failures.map((failure) => `  - ${failure}`), '', result.transcript].join('\n');
}

const percent = (passed: number, total: number) => (total === 0 ? '-' : `${Math.round((passed / total) * 100)}%`);

/** Pass rates per task and mode, as a plain-text table, with a total line. */
export function passRateTable(results: CaseResult[], modes: readonly Mode[]): string {
  const tasks = [...new Set(results.map((result) => result.task))].sort();
  const rows = [...tasks.map((task) => row(task, results.filter((result) => result.task === task), modes)), row('total', results, modes)];
  const header = ['task', 'cases', ...modes, 'pass rate'];
  const table = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...table.map((cells) => cells[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(0, -1).map(line), widths.map((width) => '-'.repeat(width)).join('  '), line(rows[rows.length - 1])].join('\n');
}

function row(task: string, results: CaseResult[], modes: readonly Mode[]): string[] {
  const cases = new Set(results.map((result) => result.id)).size;
  const perMode = modes.map((mode) => {
    const ofMode = results.filter((result) => result.mode === mode);
    return ofMode.length === 0 ? '-' : `${ofMode.filter((result) => result.passed).length}/${ofMode.length}`;
  });
  return [task, String(cases), ...perMode, percent(results.filter((result) => result.passed).length, results.length)];
}
