import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILES_TICKET_CATEGORY } from '../src/agent/files-received.js';
import { Ticket } from '../src/modules/tickets/entities.js';
import { ToolRun } from '../src/tools/tool-run.js';
import { tenantEntityManager } from '../src/tools/runner.js';
import { openClinic, type TestPatient } from './support/clinic-fixture.js';
import { patientOn } from './support/conversation-driver.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { scriptedModel } from './support/mock-model.js';

const photo = { url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', contentType: 'image/jpeg' };
const voiceNote = { url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2', contentType: 'audio/ogg' };
const scan = { url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME3', contentType: 'application/pdf' };

let harness: Harness;
let clinic: TestTenant;
let patient: TestPatient;

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant({ timeZone: 'America/New_York', name: 'Harbor Clinic' });
  patient = (await openClinic(harness, clinic, { twilio: false })).patient;
});
afterAll(() => harness.close());

const ticketsOf = (conversationId: string) => tenantEntityManager(harness.services, clinic.tenant.id).find(Ticket, { conversationId });

describe('the agent and files patients send', () => {
  it('says a photo arrived and staff will look at it, opens one ticket a day, and does not take it for a date of birth', async () => {
    const maria = patientOn(harness, clinic, patient.phone);
    const asked = await maria.say('1');
    expect(asked.reply).toContain('what is your date of birth?');

    const sent = await maria.say('', [photo]);
    expect(sent.reply).toBe('Thank you, we received your photo. A member of our team will look at it and get back to you here.');
    const [ticket] = await ticketsOf(sent.conversationId);
    expect(ticket).toMatchObject({ category: FILES_TICKET_CATEGORY, status: 'open', patientId: null, createdByKind: 'agent' });
    expect((await maria.conversation()).state.guided).toMatchObject({ step: { kind: 'ask_date_of_birth' } });

    const verified = await maria.say(patient.dateOfBirth);
    expect(verified.reply).toContain('you are verified');
    const runs = await tenantEntityManager(harness.services, clinic.tenant.id).find(ToolRun, { conversationId: sent.conversationId, tool: 'verify_identity' });
    expect(runs.length).toBe(1);

    const again = await maria.say('and this one too', [scan, photo]);
    expect(again.reply).toBe('Thank you, we received your files. A member of our team will look at them and get back to you here.');
    expect((await ticketsOf(sent.conversationId)).length).toBe(1);
  });

  it('names a voice note, and opens a new ticket once staff closed the day’s one', async () => {
    const contact = '+12125550777';
    const caller = patientOn(harness, clinic, contact);
    const first = await caller.say('', [voiceNote]);
    expect(first.reply).toBe('Thank you, we received your voice message. A member of our team will look at it and get back to you here.');
    const [ticket] = await ticketsOf(first.conversationId);
    await clinic.call('PATCH', `/api/v1/prm/tickets/${ticket.id}`, { status: 'closed' });
    await caller.say('', [voiceNote, voiceNote]);
    const tickets = await ticketsOf(first.conversationId);
    expect(tickets.map((item) => item.status).sort()).toEqual(['closed', 'open']);
  });
});

describe('with a language model', () => {
  it('answers files without asking the model', async () => {
    const scripted = scriptedModel([]);
    const withModel = await createHarness({ agentModel: scripted.agent });
    try {
      const other = await withModel.newTenant();
      const { patient: someone } = await openClinic(withModel, other, { twilio: false });
      const sent = await patientOn(withModel, other, someone.phone).say('', [scan]);
      expect(sent.reply).toBe('Thank you, we received your document. A member of our team will look at it and get back to you here.');
      expect(sent.turn.mode).toBe('guided');
      expect(scripted.calls()).toBe(0);
    } finally {
      await withModel.close();
    }
  });
});
