import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { eventData, FEED_SETTLE_MS } from '../src/modules/webhooks/events.js';
import { expectError } from './appointments-fixtures.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

const API = '/api/v1/prm';
const clock = fixedClock(new Date('2026-12-01T12:00:00Z'));
let harness: Harness;
let clinic: TestTenant;
let other: TestTenant;

type Event = { id: string; type: string; entityType: string; entityId: string; occurredAt: string; data: Record<string, unknown> };
type Feed = { items: Event[]; nextCursor: string | null; more: boolean };

beforeAll(async () => {
  harness = await createHarness({ clock });
  clinic = await harness.newTenant();
  other = await harness.newTenant();
});
afterAll(() => harness.close());

const feed = (tenant: TestTenant, query = '') => tenant.call<Feed>('GET', `${API}/events${query}`);
const settle = () => clock.advance(FEED_SETTLE_MS + 1);

describe('GET /events', () => {
  it('lists the clinic’s events oldest first once settled, with ids and changed field names and no text', async () => {
    const patient = await clinic.call<{ id: string }>('POST', `${API}/patients`, { givenName: 'Secretname', familyName: 'Private', dateOfBirth: '1980-01-02', sex: 'female' });
    clock.advance(1_000);
    const ticket = await clinic.call<{ id: string }>('POST', `${API}/tickets`, { subject: 'Ticket subject with words', description: 'Private details', patientId: patient.id });
    clock.advance(1_000);
    await clinic.call('PATCH', `${API}/tickets/${ticket.id}`, { description: 'Even more private details', priority: 'high' });
    await other.call('POST', `${API}/tickets`, { subject: 'Another clinic' });

    // Just happened: not in the feed yet (a transaction still open could commit an earlier one).
    expect((await feed(clinic)).items).toEqual([]);
    settle();
    const page = await feed(clinic);
    expect(page.items.map((event) => event.type)).toEqual(['patient.created', 'ticket.created', 'ticket.updated']);
    expect(page.more).toBe(false);
    const [created, opened, updated] = page.items;
    expect(created).toMatchObject({ entityType: 'patient', entityId: patient.id, occurredAt: '2026-12-01T12:00:00.000Z' });
    expect(opened).toMatchObject({ entityType: 'ticket', entityId: ticket.id });
    expect(updated.data).toEqual({ changedFields: ['description', 'priority'] });
    const everything = JSON.stringify(page);
    for (const text of ['Secretname', 'Private', 'Ticket subject', 'details', 'high', 'Another clinic']) expect(everything).not.toContain(text);
  });

  it('filters by type, family and entity, and pages and polls from a cursor', async () => {
    settle();
    const tickets = await feed(clinic, '?type=ticket.*');
    expect(tickets.items.map((event) => event.type)).toEqual(['ticket.created', 'ticket.updated']);
    expect((await feed(clinic, '?type=ticket.updated')).items).toHaveLength(1);
    const ticketId = tickets.items[0].entityId;
    expect((await feed(clinic, `?entityType=ticket&entityId=${ticketId}`)).items.map((event) => event.type)).toEqual(['ticket.created', 'ticket.updated']);
    expect((await feed(clinic, '?entityType=appointment')).items).toEqual([]);

    const first = await feed(clinic, '?limit=2');
    expect(first.items).toHaveLength(2);
    expect(first.more).toBe(true);
    const second = await feed(clinic, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((event) => event.type)).toEqual(['ticket.updated']);
    expect(second.more).toBe(false);
    // The end of the feed keeps its place: polled later, only what happened since comes.
    const idle = await feed(clinic, `?cursor=${second.nextCursor}`);
    expect(idle).toEqual({ items: [], nextCursor: second.nextCursor, more: false });
    const note = await clinic.call<{ id: string }>('POST', `${API}/tickets/${ticketId}/notes`, { body: 'A note' });
    settle();
    const polled = await feed(clinic, `?cursor=${second.nextCursor}`);
    expect(polled.items.map((event) => [event.type, event.data])).toEqual([['ticket.note_added', { noteId: note.id }]]);
  });

  it('refuses another role, a bad cursor and a bad type, naming the field', async () => {
    expect((await clinic.request('GET', `${API}/events`, { key: clinic.keys.agent })).status).toBe(403);
    await expectError(await clinic.request('GET', `${API}/events?cursor=not-a-cursor`), 400, 'cursor');
    await expectError(await clinic.request('GET', `${API}/events?type=ticket.*.x`), 400, 'type');
    await expectError(await clinic.request('GET', `${API}/events?since=yesterday`), 400, 'since');
    expect((await feed(clinic, '?type=*')).items.length).toBeGreaterThan(0);
  });
});

describe('event data', () => {
  it('keeps ids, counts, flags and field names; drops any other text', () => {
    const id = '0193a0c4-5b2e-7d3c-8f00-000000000001';
    expect(
      eventData({ ticketId: id, chunks: 3, urgent: true, reason: 'free text', fields: ['email'], filledFields: ['phone'], moved: { notes: 2, label: 'x' }, before: { status: 'open', count: 1 }, changes: { subject: 'S' }, ids: [id] }),
    ).toEqual({ ticketId: id, chunks: 3, urgent: true, fields: ['email'], filledFields: ['phone'], moved: { notes: 2 }, ids: [id], changedFields: ['subject'] });
  });
});
