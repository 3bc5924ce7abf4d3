import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainEvent } from '../src/events.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';

let harness: Harness;
let clinic: TestTenant;

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
});
afterAll(() => harness.close());

describe('tickets', () => {
  it('creates, updates, notes and lists a ticket', async () => {
    const created = await clinic.request('POST', '/api/v1/prm/tickets', { body: { subject: 'Call back about billing', priority: 'high', category: 'billing' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-tool-run-id')).toMatch(/^[0-9a-f-]{36}$/);
    const ticket = await created.json();
    expect(ticket).toMatchObject({ subject: 'Call back about billing', status: 'open', priority: 'high', category: 'billing', createdBy: { kind: 'staff' } });

    const updated = await clinic.call('PATCH', `/api/v1/prm/tickets/${ticket.id}`, { status: 'resolved', assignee: 'ana@clinic.test' });
    expect(updated).toMatchObject({ status: 'resolved', assignee: 'ana@clinic.test' });
    expect(updated.resolvedAt).toEqual(expect.any(String));

    await clinic.call('POST', `/api/v1/prm/tickets/${ticket.id}/notes`, { body: 'Called, sorted out.' });
    const full = await clinic.call<{ notes: { body: string }[] }>('GET', `/api/v1/prm/tickets/${ticket.id}`);
    expect(full.notes.map((note) => note.body)).toEqual(['Called, sorted out.']);

    const list = await clinic.call<{ items: { id: string }[] }>('GET', '/api/v1/prm/tickets?status=resolved,closed&priority=high');
    expect(list.items.map((item) => item.id)).toEqual([ticket.id]);
  });

  it('records a domain event with each change, in the same transaction', async () => {
    const ticket = await clinic.call<{ id: string }>('POST', '/api/v1/prm/tickets', { subject: 'Evented' });
    await clinic.call('PATCH', `/api/v1/prm/tickets/${ticket.id}`, { priority: 'urgent' });
    const events = await harness.services.orm.em.fork().find(DomainEvent, { tenantId: clinic.tenant.id, entityId: ticket.id }, { filters: false, orderBy: { occurredAt: 'asc' } });
    expect(events.map((event) => event.type)).toEqual(['ticket.created', 'ticket.updated']);
    expect(events[1].payload).toMatchObject({ before: { priority: 'normal' }, changes: { priority: 'urgent' } });
  });

  it('keeps tenants apart on every route', async () => {
    const ticket = await clinic.call<{ id: string }>('POST', '/api/v1/prm/tickets', { subject: 'Mine only' });
    const other = await harness.newTenant();
    expect((await other.call<{ items: unknown[] }>('GET', '/api/v1/prm/tickets')).items).toEqual([]);
    expect((await other.request('GET', `/api/v1/prm/tickets/${ticket.id}`)).status).toBe(404);
    expect((await other.request('PATCH', `/api/v1/prm/tickets/${ticket.id}`, { body: { status: 'closed' } })).status).toBe(404);
    expect((await other.request('POST', `/api/v1/prm/tickets/${ticket.id}/notes`, { body: { body: 'x' } })).status).toBe(404);
    expect((await clinic.call<{ status: string; notes: unknown[] }>('GET', `/api/v1/prm/tickets/${ticket.id}`))).toMatchObject({ status: 'open', notes: [] });
  });

  it('names the wrong field and writes nothing', async () => {
    const response = await clinic.request('POST', '/api/v1/prm/tickets', { body: { subject: '', priority: 'whenever' } });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(['priority', 'subject']);
    const list = await clinic.call<{ items: unknown[] }>('GET', '/api/v1/prm/tickets?limit=200');
    expect(list.items.every((item) => (item as { subject: string }).subject !== '')).toBe(true);
  });
});
