import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReply } from '../src/agent/format.js';
import { repliesIn } from '../src/agent/guided/replies/index.js';
import { openClinic } from './support/clinic-fixture.js';
import { patientOn } from './support/conversation-driver.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { scriptedModel, text } from './support/mock-model.js';
import { addKnowledge } from './support/vector-fixtures.js';

const ARTICLE = [
  '# Insurance we accept',
  '',
  'We take **most plans**, and *some* others:',
  '',
  '- Medicaid and Medicare',
  '* Aetna, Cigna',
  '1. Bring your card',
  '2. See [our plans page](https://harbor.example/plans) or <https://harbor.example/faq>',
  '',
  '---',
  '> Call `the front desk` with questions.',
].join('\n');

describe('a reply as each channel shows it', () => {
  it('WhatsApp: its own bold and italics, bullets as "•", links spelled out, no markdown left', () => {
    expect(formatReply(ARTICLE, 'whatsapp')).toBe(
      [
        '*Insurance we accept*',
        '',
        'We take *most plans*, and _some_ others:',
        '',
        '• Medicaid and Medicare',
        '• Aetna, Cigna',
        '1. Bring your card',
        '2. See our plans page (https://harbor.example/plans) or https://harbor.example/faq',
        '',
        'Call the front desk with questions.',
      ].join('\n'),
    );
  });

  it('SMS: plain text, bullets as "-" (within the 7-bit SMS alphabet)', () => {
    expect(formatReply(ARTICLE, 'sms')).toBe(
      [
        'Insurance we accept',
        '',
        'We take most plans, and some others:',
        '',
        '- Medicaid and Medicare',
        '- Aetna, Cigna',
        '1. Bring your card',
        '2. See our plans page (https://harbor.example/plans) or https://harbor.example/faq',
        '',
        'Call the front desk with questions.',
      ].join('\n'),
    );
  });

  it('voice: one paragraph of sentences, no symbols, links by their text', () => {
    expect(formatReply(ARTICLE, 'voice')).toBe(
      'Insurance we accept. We take most plans, and some others: Medicaid and Medicare. Aetna, Cigna. Bring your card. See our plans page or https://harbor.example/faq. Call the front desk with questions.',
    );
  });

  it('leaves plain text as it is: every guided reply, on every channel', () => {
    for (const language of ['en', 'es'] as const) {
      const say = repliesIn[language];
      for (const reply of [say.menu(false), say.askDateOfBirth(false), say.intakeQuestion(false, 'allergies'), say.tooLong, say.handedOff({ name: 'Harbor Clinic', hours: 'Mon-Fri 9-5', phone: '+1 212 555 0100' })]) {
        expect(formatReply(reply, 'whatsapp')).toBe(reply);
        expect(formatReply(reply, 'sms')).toBe(reply);
      }
      const spoken = say.spoken(say.menu(true));
      expect(formatReply(spoken, 'voice')).toBe(spoken);
    }
    // Underscores and asterisks that are not emphasis stay.
    expect(formatReply('Visit https://harbor.example/a_b_c for 5 * 3 = 15 tips', 'sms')).toBe('Visit https://harbor.example/a_b_c for 5 * 3 = 15 tips');
  });

  it('reads tables as rows of cells', () => {
    expect(formatReply('| Plan | Accepted |\n|---|---|\n| Medicaid | yes |', 'sms')).toBe('Plan, Accepted\nMedicaid, yes');
  });
});

describe('through the turn, where replies leave the agent', () => {
  let harness: Harness;
  let clinic: TestTenant;
  beforeAll(async () => {
    harness = await createHarness();
    clinic = await harness.newTenant();
    await addKnowledge(clinic, 'Insurance', ARTICLE);
  });
  afterAll(() => harness.close());

  it('formats a knowledge answer for WhatsApp, SMS and the phone, its title a heading only once', async () => {
    const whatsapp = await patientOn(harness, clinic, '+15550103001').say('Do you accept Medicaid?');
    expect(whatsapp.reply).toMatch(/^\*Insurance we accept\*\n\nWe take \*most plans\*, and _some_ others:\n• Medicaid and Medicare\n• Aetna, Cigna\n1\. Bring your card\n/);
    expect(whatsapp.reply).toContain('See our plans page (https://harbor.example/plans)');
    expect(whatsapp.reply).not.toMatch(/#|\]\(|\*\*/);

    const sms = await patientOn(harness, clinic, '+15550103002', 'sms').say('Do you accept Medicaid?');
    expect(sms.reply).toMatch(/^Insurance we accept\n\nWe take most plans, and some others:\n- Medicaid and Medicare\n- Aetna, Cigna\n/);
    expect(sms.reply).not.toMatch(/[#*•_]|\]\(/);

    const voice = await patientOn(harness, clinic, '+15550103003', 'voice').say('Do you accept Medicaid?');
    expect(voice.reply).toMatch(/^Insurance we accept\. We take most plans, and some others: Medicaid and Medicare\. Aetna, Cigna\./);
    expect(voice.reply).not.toMatch(/[#*•\n]|\]\(/);
    expect(voice.reply).toContain('See our plans page or');
    expect(voice.reply).not.toContain('harbor.example/plans');
  });

  it('adds a heading for an article that has none of its own', async () => {
    await addKnowledge(clinic, 'Parking', 'Parking is **free** in the garage behind the building.');
    const answer = await patientOn(harness, clinic, '+15550103004').say('Is parking free?');
    expect(answer.reply).toMatch(/^\*Parking\*\n\nParking is \*free\* in the garage behind the building\.\nAnything else\?/);
  });
});

describe('the model’s replies', () => {
  it('are formatted the same way before they are sent', async () => {
    const markdown = '## Your options\n\n- **Book** a visit\n- See [the FAQ](https://harbor.example/faq)';
    const scripted = scriptedModel([text(markdown), text(markdown)]);
    const withModel = await createHarness({ agentModel: scripted.agent });
    try {
      const other = await withModel.newTenant();
      const { patient } = await openClinic(withModel, other, { twilio: false });
      expect((await patientOn(withModel, other, patient.phone).say('what can you do')).reply).toBe('*Your options*\n\n• *Book* a visit\n• See the FAQ (https://harbor.example/faq)');
      expect((await patientOn(withModel, other, patient.phone, 'sms').say('what can you do')).reply).toBe('Your options\n\n- Book a visit\n- See the FAQ (https://harbor.example/faq)');
    } finally {
      await withModel.close();
    }
  });
});
