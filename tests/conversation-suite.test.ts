import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { loadCases } from './conversations/load-cases.js';
import { startConversationRunner, type ConversationRunner } from './conversations/runner.js';
import { failureReport } from './conversations/report.js';

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
