import type { Machine } from './machine.js';
import type { Goal, Section, SectionResult } from './section.js';

export type DatabaseInfo = { label: string; version: string };

/** A section's result on each database (by label), or why it failed there. */
export type SectionOutcome = { section: Section; results: Map<string, SectionResult | { failed: string }> };

export type Report = {
  machine: Machine;
  databases: DatabaseInfo[];
  skipped: string[];
  outcomes: SectionOutcome[];
  minutes: number;
  loadAfter: string;
};

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = (header: string[], rows: string[][]) =>
  [header, header.map(() => '---'), ...rows].map((row) => `| ${row.map(cell).join(' | ')} |`).join('\n');

/** The markdown report: machine, databases, goals, then one table per section, databases side by side. */
export function renderReport(report: Report): string {
  const { machine } = report;
  const parts = [
    '# PRM Agent benchmarks',
    `\`npm run bench\`, ${machine.date}, ${report.minutes.toFixed(1)} minutes. Latencies are milliseconds; p50/p95/p99 are nearest-rank percentiles.`,
    '## Machine',
    table(['', ''], [
      ['CPU', `${machine.cpu}, ${machine.cores} cores`],
      ['Memory', machine.memory],
      ['OS', machine.os],
      ['Node.js', machine.node],
      ['Load average (1 / 5 / 15 min)', `${machine.loadBefore} before the run, ${report.loadAfter} after`],
    ]),
    '## Databases',
    table(['Database', 'Version'], report.databases.map((database) => [database.label, database.version])),
    ...report.skipped.map((reason) => `**Not measured:** ${reason}`),
    '## Goals',
    table(['Goal', 'Database', 'Target', 'Measured', 'Result'], goalRows(report)),
    ...report.outcomes.flatMap((outcome, index) => sectionPart(outcome, index + 1, report.databases)),
  ];
  return `${parts.join('\n\n')}\n`;
}

function goalRows(report: Report): string[][] {
  return report.outcomes.flatMap(({ section, results }) =>
    report.databases.flatMap((database) => {
      const result = results.get(database.label);
      if (!result) return [];
      if ('failed' in result) return [[`${section.title} (section failed)`, database.label, '—', result.failed.split('\n')[0], 'MISSED']];
      return (result.goals ?? []).map((goal: Goal) => [goal.goal, database.label, goal.target, goal.measured, goal.met ? 'met' : `**MISSED**${goal.why ? `: ${goal.why}` : ''}`]);
    }),
  );
}

function sectionPart(outcome: SectionOutcome, number: number, databases: DatabaseInfo[]): string[] {
  const labels: string[] = [];
  const values = new Map<string, Map<string, string>>();
  const notes: string[] = [];
  for (const database of databases) {
    const result = outcome.results.get(database.label);
    if (!result) continue;
    if ('failed' in result) {
      notes.push(`${database.label}: **the section failed**: ${result.failed}`);
      continue;
    }
    for (const row of result.rows) {
      if (!values.has(row.label)) {
        labels.push(row.label);
        values.set(row.label, new Map());
      }
      values.get(row.label)?.set(database.label, row.value);
    }
    notes.push(...(result.notes ?? []).map((note) => `${database.label}: ${note}`));
  }
  const rows = labels.map((label) => [label, ...databases.map((database) => values.get(label)?.get(database.label) ?? '—')]);
  return [
    `## ${number}. ${outcome.section.title}`,
    outcome.section.about,
    table(['', ...databases.map((database) => database.label)], rows),
    ...(notes.length > 0 ? [notes.map((note) => `- ${note}`).join('\n')] : []),
  ];
}
