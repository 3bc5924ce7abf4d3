import { describe, expect, it } from 'vitest';
import { Tenant } from '../src/modules/tenancy/entities.js';
import { ToolRun } from '../src/tools/tool-run.js';
import { tenantEntityManager } from '../src/tools/runner.js';
import { API } from './support/clinic-fixture.js';
import { loadConversation } from './support/conversation-fixtures.js';
import { bookingHarness, openBookingClinic } from './support/guided-booking.js';
import type { TestTenant } from './support/harness.js';

/**
 * Guided mode reads dates of birth as people write them: by the clinic's convention (03/12 is 12 March
 * in the United States, 3 December in Britain), asking where it cannot tell or the year has two digits,
 * and checking one sent before it was asked for. The try limit holds whatever the format.
 */

const booking = bookingHarness();

const toolsCalled = async (clinic: TestTenant, conversationId: string) =>
  (await tenantEntityManager(booking.current().services, clinic.tenant.id).find(ToolRun, { conversationId }, { orderBy: { id: 'asc' } })).map((run) => run.tool);

describe('guided mode: dates of birth as people write them', () => {
  it('reads 12/03/1984 day first in a British clinic', async () => {
    const { clinic, chat } = await openBookingClinic(booking.current(), { timeZone: 'Europe/London' });
    await clinic.call('PATCH', `${API}/clinic`, { locale: 'en-GB' });
    await chat.send('my appointments');
    expect((await chat.send('12/03/1984')).reply).toMatch(/^Thank you, Maria, you are verified\./);
  });

  it('asks which reading where the convention cannot tell (Canada)', async () => {
    const { clinic, chat, conversationId, patient } = await openBookingClinic(booking.current(), { timeZone: 'America/Toronto' });
    await booking.current().services.orm.em.fork().nativeUpdate(Tenant, { id: clinic.tenant.id }, { defaultCountry: 'CA' });
    await chat.send('my appointments');
    const which = await chat.send('12/03/1984');
    expect(which.reply).toBe('Did you mean 12 March 1984 or 3 December 1984?\n1. 12 March 1984\n2. 3 December 1984\nReply 1 or 2.');
    expect((await chat.send('1')).reply).toMatch(/^Thank you, Maria, you are verified\./);
    expect((await loadConversation(booking.current(), clinic, conversationId)).patientId).toBe(patient.id);
  });

  it('asks to confirm the century of a two-digit year, and for the full year on a no', async () => {
    const { clinic, chat, conversationId } = await openBookingClinic(booking.current());
    await chat.send('book');
    expect((await chat.send('March 12th 84')).reply).toBe('Did you mean 12 March 1984? Reply YES or NO.');
    expect((await chat.send('no')).reply).toBe('Please send your date of birth with the full year, for example 12 March 1984.');
    expect((await chat.send('3/12/84')).reply).toBe('Did you mean 12 March 1984? Reply YES or NO.');
    expect((await chat.send('yes')).reply).toMatch(/^Thank you, Maria, you are verified\.\nThe next free times:/);
    // The questions checked nothing: one check, for the confirmed date.
    expect((await toolsCalled(clinic, conversationId)).filter((tool) => tool === 'verify_identity')).toHaveLength(1);
  });

  it('checks a date of birth sent alone, before anything was asked', async () => {
    const { clinic, chat, conversationId, patient } = await openBookingClinic(booking.current());
    expect((await chat.send('12 March 1984')).reply).toMatch(/^Thank you, Maria, you are verified\.\nHow can I help\?/);
    expect((await loadConversation(booking.current(), clinic, conversationId)).patientId).toBe(patient.id);
  });

  it('checks a date of birth sent with a request, before it was asked for, and does what was asked', async () => {
    const { clinic, chat, conversationId } = await openBookingClinic(booking.current());
    const listed = await chat.send('my appointments please, born 03/12/1984');
    expect(listed.reply).toBe('Thank you, Maria, you are verified.\nYou have no upcoming appointments. Reply 2 to book one.');
    expect((await toolsCalled(clinic, conversationId))[0]).toBe('verify_identity');
  });

  it('checks a date of birth sent with a booking request, and offers times at once', async () => {
    const { clinic, chat, conversationId } = await openBookingClinic(booking.current());
    const offered = await chat.send('book an appointment, my DOB is 12 March 1984');
    expect(offered.reply).toMatch(/^Thank you, Maria, you are verified\.\nThe next free times:\n1\. /);
    expect((await toolsCalled(clinic, conversationId))[0]).toBe('verify_identity');
  });

  it('still locks the number out after five wrong dates, whatever their format', async () => {
    const { clinic, chat, conversationId } = await openBookingClinic(booking.current());
    await chat.send('1');
    for (const wrong of ['1990-01-01', '01/02/1990', '2 February 1990', 'my DOB is 4 February 1990']) {
      expect((await chat.send(wrong)).reply, wrong).toContain('do not match our records');
    }
    expect((await chat.send('Feb 3rd 90')).reply).toBe('Did you mean 3 February 1990? Reply YES or NO.');
    // The fifth miss locks the number: even the right date is refused now.
    expect((await chat.send('yes')).reply).toContain('please try again in 30 minutes');
    expect((await chat.send('12 March 1984')).reply).toMatch(/^Too many attempts/);
    expect((await loadConversation(booking.current(), clinic, conversationId)).patientId).toBeNull();
    expect((await toolsCalled(clinic, conversationId)).filter((tool) => tool === 'verify_identity')).toHaveLength(6);
  });
});
