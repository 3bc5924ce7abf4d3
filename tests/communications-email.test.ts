import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Communication, CommunicationStatusReport } from '../src/modules/communications/entities.js';
import { API, openConversation } from './support/clinic-fixture.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { reply, startSmtpServer, type TestSmtpServer } from './support/smtp-server.js';

/** Email through the one pipeline: stored, marked sending, handed to the SMTP server, its outcome kept. */

const FROM = 'Harbor Clinic <no-reply@clinic.example>';
let smtp: TestSmtpServer;
let refusing: TestSmtpServer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  refusing = await startSmtpServer({ handlers: { onRcptTo: (_address, _session, callback) => callback(reply(550, 'No such user here')) } });
});
afterAll(async () => {
  await smtp.close();
  await refusing.close();
});

async function clinicWithEmail(smtpUrl: string | undefined): Promise<{ harness: Harness; clinic: TestTenant }> {
  const harness = await createHarness({ config: smtpUrl ? { SMTP_URL: smtpUrl, SMTP_FROM: FROM } : {} });
  return { harness, clinic: await harness.newTenant({ name: 'Harbor Family Clinic' }) };
}

/** Staff write to the patient's email thread; the delivery job runs. */
async function staffEmail(harness: Harness, clinic: TestTenant, to: string, body: string) {
  const conversationId = await openConversation(harness, clinic, to, 'email');
  const sent = await clinic.call<{ id: string }>('POST', `${API}/conversations/${conversationId}/messages`, { body });
  await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
  const em = harness.services.orm.em.fork();
  em.setFilterParams('tenant', { tenantId: clinic.tenant.id });
  return { communication: await em.findOneOrFail(Communication, { id: sent.id }), reports: await em.find(CommunicationStatusReport, { communicationId: sent.id }) };
}

describe('email through the communications pipeline', () => {
  it('delivers a staff message to the SMTP server once, with our id as its Message-ID', async () => {
    const { harness, clinic } = await clinicWithEmail(smtp.url);
    try {
      const { communication, reports } = await staffEmail(harness, clinic, 'maria@example.org', 'Your results are ready to discuss.');
      const received = smtp.received.filter((email) => email.rcptTo.includes('maria@example.org'));
      expect(received).toHaveLength(1);
      expect(received[0].headers.get('subject')).toBe('A message from Harbor Family Clinic');
      expect(received[0].headers.get('message-id')).toBe(`<${communication.id}@prm>`);
      expect(received[0].raw).toContain('Your results are ready to discuss.');
      expect(communication).toMatchObject({ status: 'sent', channelMessageId: `<${communication.id}@prm>`, error: null });
      expect(reports.map((report) => [report.status, report.providerStatus])).toEqual([['sent', 'accepted']]);
    } finally {
      await harness.close();
    }
  });

  it('marks a refused recipient failed, and sends nothing', async () => {
    const { harness, clinic } = await clinicWithEmail(refusing.url);
    try {
      const { communication } = await staffEmail(harness, clinic, 'nobody@example.org', 'Hello');
      expect(communication.status).toBe('failed');
      expect(communication.error).toMatch(/550.*it will not be sent/);
      expect(refusing.received).toHaveLength(0);
    } finally {
      await harness.close();
    }
  });

  it('keeps an email of a service without SMTP settings in the thread, not sent, saying why', async () => {
    const { harness, clinic } = await clinicWithEmail(undefined);
    try {
      const { communication } = await staffEmail(harness, clinic, 'maria@example.org', 'Hello');
      expect(communication.status).toBe('not_sent');
      expect(communication.error).toContain('Email is not configured');
    } finally {
      await harness.close();
    }
  });
});
