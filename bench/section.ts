/**
 * What a benchmark section is. A section is a function that measures one thing on one database and
 * returns rows for the report; `bench/run.ts` runs every section of `sections/index.ts` on every
 * database and puts the databases side by side.
 */

/** One database the bench runs on. The embedded one is a data folder that whoever runs opens. */
export type BenchDatabase =
  | { kind: 'embedded'; label: string; dataDir: string }
  | { kind: 'server'; label: string; url: string };

/** A line of a section's table: the same `label` on each database lands on the same line. */
export type Row = { label: string; value: string };

/** A goal of the project, measured on one database. */
/** `why`: for a goal missed, what in the same run says why (shown beside MISSED). */
export type Goal = { goal: string; target: string; measured: string; met: boolean; why?: string };

export type SectionResult = {
  rows: Row[];
  goals?: Goal[];
  /** Shown under the table, prefixed with the database. */
  notes?: string[];
};

export type Section = {
  title: string;
  /** What is measured and how, for the reader of the report (markdown). */
  about: string;
  /** Measures nothing a database takes part in: run once, its result shown for every database. */
  databaseFree?: boolean;
  run(database: BenchDatabase, progress: (message: string) => void): Promise<SectionResult>;
};
