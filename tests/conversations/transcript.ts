import { describeRun, type TurnRecord } from './expectations.js';
import { nameIds, type References } from './references.js';

const INDENT = '      ';

/** A text of several lines, its later lines indented under the first. */
const block = (label: string, text: string) => `${INDENT}${label}${text.split('\n').join(`\n${INDENT}${' '.repeat(label.length)}`)}`;

/** One turn as read in a failure: what the patient sent, what the model was asked, what ran, what came back. */
function turnLines(record: TurnRecord, index: number): string[] {
  const lines = [`${String(index + 1).padStart(3)}.  ${record.action}`];
  for (const step of record.model?.played ?? []) lines.push('call' in step ? `${INDENT}model  calls ${step.call} ${JSON.stringify(step.input)}` : block('model  replies ', step.reply));
  for (const run of record.runs) lines.push(`${INDENT}ran    ${describeRun(run)}`);
  for (const reply of record.replies) lines.push(block('clinic ', reply));
  if (record.replies.length === 0) lines.push(`${INDENT}(nothing sent back)`);
  if (record.agentTurn) {
    const turn = record.agentTurn;
    // In guided mode the fallback reason is always that no model is configured: said only in model mode.
    const reason = record.model && turn.fallbackReason ? `; ${turn.fallbackReason}` : '';
    lines.push(`${INDENT}(${turn.mode} mode, ${turn.outcome}${reason})`);
  }
  for (const problem of record.problems) lines.push(`${INDENT}!! ${problem}`);
  return lines;
}

/** The whole conversation of a case run, turn by turn; the ids the runner made shown by the case's names for them. */
export function transcript(heading: string, records: TurnRecord[], references: References): string {
  return nameIds([heading, ...records.flatMap(turnLines)].join('\n'), references);
}
