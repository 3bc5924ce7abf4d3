import { parseArgs } from 'node:util';
import { openTestDatabase } from '../support/test-database.js';
import { modes as allModes, type Mode } from './case-format.js';
import { loadCases } from './load-cases.js';
import { failureReport, passRateTable } from './report.js';
import { startConversationRunner, type CaseResult } from './runner.js';

/**
 * `npm run eval`: plays the conversation cases outside vitest, with the runner the tests use, then
 * prints the pass rates per task and mode and the transcript of every failure. Exits 1 when any case
 * fails. `--case TEXT` (repeatable) keeps the cases whose id contains TEXT; `--mode guided|model`
 * keeps one mode; `--transcripts` prints passing transcripts too. The database is TEST_DATABASE_URL's
 * server, or an embedded PGlite of its own.
 */
const { values } = parseArgs({
  options: {
    case: { type: 'string', multiple: true },
    mode: { type: 'string', multiple: true },
    transcripts: { type: 'boolean', default: false },
  },
});
const modes = (values.mode ?? [...allModes]).filter((mode): mode is Mode => (allModes as readonly string[]).includes(mode));
const cases = loadCases({ filters: values.case });
if (cases.length === 0 || modes.length === 0) {
  console.error(`No cases to run: ${cases.length} case(s) match, mode(s): ${modes.join(', ') || 'none known'}`);
  process.exit(2);
}

const opening = performance.now();
const database = await openTestDatabase(process.env.TEST_DATABASE_URL);
const started = performance.now();
const runner = await startConversationRunner(database);
const results: CaseResult[] = [];
try {
  for (const conversation of cases) {
    for (const mode of conversation.modes.filter((caseMode) => modes.includes(caseMode))) {
      const result = await runner.run(conversation, mode);
      results.push(result);
      process.stderr.write(result.passed ? '.' : 'F');
    }
  }
} finally {
  await runner.close();
  await database.close();
}
process.stderr.write('\n');

const failed = results.filter((result) => !result.passed);
console.log(passRateTable(results, modes));
const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
console.log(`\n${results.length} runs of ${cases.length} cases on the ${database.kind} database in ${seconds(started, performance.now())} s (opening it took ${seconds(opening, started)} s)`);
for (const result of values.transcripts ? results.filter((result) => result.passed) : []) console.log(`\n${result.transcript}`);
for (const result of failed) console.log(`\n${failureReport(result)}`);
process.exitCode = failed.length > 0 ? 1 : 0;
