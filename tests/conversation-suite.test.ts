import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadCases } from './conversations/load-cases.js';
import { failureReport } from './conversations/report.js';
import { startConversationRunner, type ConversationRunner } from './conversations/runner.js';

/** The replayable conversation suite (tests/conversations/README.md): every case in each of its modes. */

const cases = loadCases();
let runner: ConversationRunner;

beforeAll(async () => {
  runner = await startConversationRunner({ url: inject('databaseUrl'), kind: inject('databaseKind') });
});
afterAll(() => runner?.close());

describe('conversation cases', () => {
  for (const conversation of cases) {
    for (const mode of conversation.modes) {
      it(`${conversation.id} [${mode}]`, async () => {
        const result = await runner.run(conversation, mode);
        if (!result.passed) throw new Error(failureReport(result));
      });
    }
  }
});

/** Cases written to a folder of their own, as cases/<task>/<name>.yaml. */
function casesFrom(files: Record<string, string>) {
  const directory = mkdtempSync(join(tmpdir(), 'prm-cases-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(directory, path, '..'), { recursive: true });
      writeFileSync(join(directory, `${path}.yaml`), text);
    }
    return loadCases({ directory });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describe('the runner’s checks fail when the conversation is not as expected', () => {
  it('refuses a case with a turn that asserts nothing about the reply, or in the wrong folder', () => {
    const [loaded] = casesFrom({ 'book/silent': 'task: cancel\nturns:\n  - say: hi\n    tools: [get_clinic_info]\n' });
    expect(loaded.spec).toBeNull();
    expect(loaded.problems).toEqual([
      'task is cancel, but the file is in the folder book',
      'turn 1 asserts nothing about the reply in guided mode (give contains, not_contains or no_reply, or set modes)',
    ]);
  });

  it('reports each expectation the guided conversation does not meet', async () => {
    const [loaded] = casesFrom({
      'book/wrong': `task: book
turns:
  - say: hi
    contains: [Goodbye, /^Hello/]
    not_contains: Harbor Clinic
    tools: [verify_identity]
    state: { verified: true, handled_by: staff }
  - say: agent
    no_reply: true
    no_tools: [handoff_to_staff]
`,
    });
    const result = await runner.run(loaded, 'guided');
    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([
      'turn 1 (patient: hi): the reply does not contain "Goodbye"',
      'turn 1 (patient: hi): the reply contains "Harbor Clinic", which it must not',
      'turn 1 (patient: hi): no tool run matches {"name":"verify_identity"} (no tool ran)',
      'turn 1 (patient: hi): the conversation is not verified; expected the opposite',
      'turn 1 (patient: hi): the conversation is handled by bot; expected staff',
      expect.stringMatching(/^turn 2 \(patient: agent\): nothing should have been sent back, but the clinic sent "I have passed your message/),
      expect.stringMatching(/^turn 2 \(patient: agent\): handoff_to_staff must not run, but it did: handoff_to_staff succeeded/),
    ]);
    expect(result.transcript).toContain('clinic Hello, this is Harbor Clinic.');
  });

  it('reports a model asked without a script, a script left unplayed, and what the model was or was not shown', async () => {
    const [loaded] = casesFrom({
      'keywords/off-script': `task: keywords
modes: [model]
turns:
  - say: hello there
    contains: Hi
    model:
      shown: Not in any prompt
      never_shown: hello there
  - say: STOP
    contains: unsubscribed
    model:
      script:
        - reply: never asked for
`,
    });
    const result = await runner.run(loaded, 'model');
    expect(result.failures).toEqual([
      'turn 1 (patient: hello there): the reply does not contain "Hi"',
      'turn 1 (patient: hello there): the model was asked, but the turn gives it no script',
      'turn 1 (patient: hello there): what the model was sent does not contain "Not in any prompt"',
      'turn 1 (patient: hello there): what the model was sent contains "hello there", which it must not',
      "turn 2 (patient: STOP): 1 step(s) of the model's script were never asked for",
    ]);
  });
});
