import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guidedTurn } from '../src/agent/guided/engine.js';
import type { GuidedState } from '../src/agent/guided/types.js';
import { agentCaller, conversationToolCaller } from '../src/agent/tool-caller.js';
import { newId } from '../src/ids.js';
import { clinicProfile } from '../src/modules/conversations/clinic.js';
import { ToolRun } from '../src/tools/tool-run.js';
import { API, openClinic } from './support/clinic-fixture.js';
import { consentingPatient, openSession } from './support/intake-fixture.js';
import { scriptedModel, text, toolCall } from './support/mock-model.js';
import { patientOn } from './support/conversation-driver.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

/** The health questionnaire in chat: guided mode, through the stored-message path (MessageSids, jobs). */

let harness: Harness;
beforeAll(async () => {
  harness = await createHarness();
});
afterAll(() => harness.close());

type Session = { id: string; status: string; rev: number; conversationId: string | null; records: { kind: string; clientItemId: string; data: Record<string, unknown> }[] };

async function sessionsOf(clinic: TestTenant, patientId: string): Promise<Session[]> {
  const listed = await clinic.call<{ items: { id: string }[] }>('GET', `${API}/intake/sessions?patientId=${patientId}`);
  return Promise.all(listed.items.map((item) => clinic.call<Session>('GET', `${API}/intake/sessions/${item.id}`)));
}

async function openChat() {
  const clinic = await harness.newTenant({ name: 'Harbor Clinic' });
  const { patient } = await openClinic(harness, clinic, { twilio: false });
  return { clinic, patient, maria: patientOn(harness, clinic, patient.phone) };
}

describe('guided mode: the health questionnaire', () => {
  it('asks who it is first, then one question at a time, and sends the answers to the clinic as records keyed by each MessageSid', async () => {
    const { clinic, patient, maria } = await openChat();
    expect((await maria.say('I need to fill in the questionnaire')).reply).toMatch(/date of birth/i);
    const verified = await maria.say('1984-03-12');
    expect(verified.reply).toContain('health questionnaire');
    expect(verified.reply).toContain('main reason for your visit');
    expect((await maria.say('Headaches for two weeks, worse in the morning')).reply).toContain('allergies');
    expect((await maria.say('penicillin - rash, peanuts')).reply).toContain('medicines');
    expect((await maria.say('none')).reply).toContain('illnesses or operations');
    expect((await maria.say('skip')).reply).toContain('close family');
    expect((await maria.say('mother - type 2 diabetes')).reply).toContain('tobacco');
    const done = await maria.say('2');
    expect(done.reply).toBe('Thank you, your questionnaire was sent to the clinic. Reply MENU if you need anything else.');

    const [session] = await sessionsOf(clinic, patient.id);
    expect(session).toMatchObject({ status: 'submitted', conversationId: done.conversationId });
    expect(session.records.map((record) => [record.kind, record.data])).toEqual([
      ['chief_complaint', { text: 'Headaches for two weeks, worse in the morning' }],
      ['allergy', { substance: 'penicillin', reaction: 'rash' }],
      ['allergy', { substance: 'peanuts' }],
      ['no_medications', {}],
      ['family_history', { relation: 'mother', condition: 'type 2 diabetes' }],
      ['social_history', { tobacco: 'former' }],
    ]);
    // Each record is keyed by the MessageSid of the message that gave it.
    const inbound = (await maria.thread()).filter((message) => message.direction === 'inbound');
    const keyOf = (body: string) => inbound.find((message) => message.body === body)!.channelMessageId!;
    expect(session.records[1].clientItemId).toBe(`${keyOf('penicillin - rash, peanuts')}:allergies:0`);
    expect(session.records[2].clientItemId).toBe(`${keyOf('penicillin - rash, peanuts')}:allergies:1`);
    expect(session.records[0].clientItemId.startsWith('SM')).toBe(true);
  });

  it('pauses with the answers kept, goes on at the unanswered questions, and sends only when allergies and medicines are answered', async () => {
    const { clinic, patient, maria } = await openChat();
    await maria.say('questionnaire');
    await maria.say('1984-03-12');
    await maria.say('Knee pain after a fall');
    expect((await maria.say('not now')).reply).toBe('OK, I kept your answers. Reply QUESTIONNAIRE any time to go on where you left off.');
    expect((await maria.say('menu')).reply).toContain('How can I help?');

    const resumed = await maria.say('questionnaire');
    expect(resumed.reply).toContain('Welcome back');
    expect(resumed.reply).toContain('allergies');
    await maria.say('no');
    await maria.say('skip'); // medicines: needed before sending
    await maria.say('asthma');
    await maria.say('none');
    const held = await maria.say('never');
    expect(held.reply).toContain('the clinic still needs your medicines');
    expect((await sessionsOf(clinic, patient.id))[0]).toMatchObject({ status: 'open' });

    // Asked again, only the medicines question is left.
    expect((await maria.say('questionnaire')).reply).toContain('Which medicines do you take now?');
    expect((await maria.say('ibuprofen 400 mg as needed')).reply).toContain('sent to the clinic');
    const [session] = await sessionsOf(clinic, patient.id);
    expect(session.status).toBe('submitted');
    expect(session.records.map((record) => record.kind)).toEqual(['chief_complaint', 'no_known_allergies', 'condition', 'social_history', 'medication']);
  });

  it('reads a tobacco answer it cannot place as a question again, and a long answer that mentions a nurse as an answer', async () => {
    const { maria } = await openChat();
    await maria.say('health questionnaire');
    await maria.say('1984-03-12');
    const answered = await maria.say('My nurse at work told me to get my blood pressure checked');
    expect(answered.reply).toContain('allergies');
    expect(answered.turn.outcome).toBe('replied');
    for (const answer of ['none', 'none', 'none', 'none']) await maria.say(answer);
    expect((await maria.say('maybe')).reply).toBe('Sorry, please reply 1, 2 or 3.\nDo you smoke or use tobacco?\n1. Never\n2. In the past\n3. Yes, now');
  });

  it('adds nothing when a message is answered again (a turn run twice)', async () => {
    const { clinic, patient, maria } = await openChat();
    await maria.say('questionnaire');
    const started = await maria.say('1984-03-12');
    const conversation = await maria.conversation();
    const state = conversation.state.guided as GuidedState;
    const profile = await clinicProfile(harness.services.orm.em.fork(), clinic.tenant.id);
    const again = (messageKey: string) =>
      guidedTurn({
        text: 'latex - hives',
        messageKey,
        state: { ...state, step: { kind: 'intake_question', sessionId: (state.step as { sessionId: string }).sessionId, question: 'allergies', remaining: [] } },
        call: conversationToolCaller(harness.services, clinic.tenant, { conversationId: started.conversationId, messageId: newId() }),
        clinic: profile,
        now: harness.services.clock.now(),
        channel: 'whatsapp',
        patientId: patient.id,
        verifiedPatient: async () => (await agentCaller(harness.services, clinic.tenant, started.conversationId)).subject?.patientId ?? null,
        givenName: 'Maria',
      });
    await again('SMsame');
    const once = (await sessionsOf(clinic, patient.id))[0];
    await again('SMsame');
    const twice = (await sessionsOf(clinic, patient.id))[0];
    expect(twice.records.filter((record) => record.kind === 'allergy')).toHaveLength(1);
    expect(twice.rev).toBe(once.rev);
  });
});

describe('the model loop: the questionnaire as tools', () => {
  it('adds records to the verified patient’s own session, and cannot reach another patient’s', async () => {
    const { clinic, patient, maria } = await openChat();
    const other = await consentingPatient(clinic);
    await clinic.call('POST', `${API}/patients/${patient.id}/consents`, { channel: 'all', purpose: 'care_messages' });
    const own = await openSession(clinic, patient.id);
    const theirs = await openSession(clinic, other.id);
    harness.services.agentModel = scriptedModel([text('Hello!')]).agent;
    const { conversationId } = await maria.say('hi');
    await clinic.call('POST', `${API}/conversations/${conversationId}/link-patient`, { patientId: patient.id });
    const records = [{ clientItemId: 'allergy-1', kind: 'allergy', data: { substance: 'latex', reaction: 'hives' } }];
    harness.services.agentModel = scriptedModel([
      toolCall('upsert_intake_records', { id: theirs.id, records }, 'call-theirs'),
      toolCall('upsert_intake_records', { id: own.id, records }, 'call-own'),
      text('I noted your latex allergy.'),
    ]).agent;
    try {
      expect((await maria.say('I am allergic to latex, I get hives')).reply).toBe('I noted your latex allergy.');
    } finally {
      harness.services.agentModel = undefined;
    }
    const runs = await harness.services.orm.em.fork().find(ToolRun, { tenantId: clinic.tenant.id, conversationId, tool: 'upsert_intake_records' }, { filters: false, orderBy: { startedAt: 'asc' } });
    expect(runs.map((run) => [run.status, run.errorCode])).toEqual([
      ['failed', 'not_found'],
      ['succeeded', null],
    ]);
    expect(runs.every((run) => run.actorKind === 'agent' && (run.input as { patientId: string }).patientId === patient.id)).toBe(true);
    expect((await clinic.call<Session>('GET', `${API}/intake/sessions/${own.id}`)).records.map((record) => record.data)).toEqual([{ substance: 'latex', reaction: 'hives' }]);
    expect((await clinic.call<Session>('GET', `${API}/intake/sessions/${theirs.id}`)).records).toEqual([]);
  });
});
