import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { openConversation } from './support/clinic-fixture.js';
import { guidedChat } from './support/conversation-fixtures.js';
import { addKnowledge } from './support/vector-fixtures.js';

let harness: Harness;
let clinic: TestTenant;

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
  await addKnowledge(clinic, 'Parking', 'Free parking for patients is in the garage behind the building, entrance on Pine Street.');
  await addKnowledge(clinic, 'What to bring', 'Bring your insurance card and a photo ID to every visit.');
  await addKnowledge(clinic, 'Insurance plans', 'We work with Medicaid, Medicare, Aetna and Cigna. Other plans: ask the front desk.');
});
afterAll(() => harness.close());

describe('guided mode and the clinic’s knowledge', () => {
  it('answers a question an article covers word for word, from the article, before the clinic profile', async () => {
    const chat = guidedChat(harness, clinic, { conversationId: await openConversation(harness, clinic, '+15550102001') });
    const answer = await chat.send('Is parking free?');
    expect(answer.reply).toContain('garage behind the building');
    expect(answer.reply).toContain('Anything else?');
    const spoken = guidedChat(harness, clinic, { conversationId: await openConversation(harness, clinic, '+15550102002', 'voice') });
    expect((await spoken.send('what should I bring?')).reply).toContain('insurance card');
  });

  it('keeps the menu for a question no article covers, and for what is not a question', async () => {
    const chat = guidedChat(harness, clinic, { conversationId: await openConversation(harness, clinic, '+15550102003') });
    const uncovered = await chat.send('Can I bring my dog?');
    expect(uncovered.reply).toContain('did not understand');
    expect(uncovered.reply).not.toContain('insurance card');
    const statement = await chat.send('insurance card photo');
    expect(statement.reply).toContain('did not understand');
  });

  it('answers what a question is about, whatever verb frames it: "Do you accept Medicaid?" of an article that never says "accept"', async () => {
    // The article's words search required every word of the question but the stop words, "accept" included.
    const chat = guidedChat(harness, clinic, { conversationId: await openConversation(harness, clinic, '+15550102004') });
    for (const question of ['Do you accept Medicaid?', 'do you take medicaid', 'Is Medicaid accepted here?', 'Is Medicare covered?']) {
      expect((await chat.send(question)).reply, question).toContain('We work with Medicaid, Medicare');
    }
    const spanish = await chat.send('¿Aceptan Medicaid?');
    expect(spanish.reply).toContain('We work with Medicaid');
    expect(spanish.reply).toContain('¿Algo más?');
    expect((await chat.send('Do you accept Bitcoin?')).reply).toContain('did not understand');
  });
});
