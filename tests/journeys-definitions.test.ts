import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { countRows, expectRefusal } from './support/notification-fixture.js';
import { JOURNEYS, kneeDefinition, kneeTemplates } from './journeys-fixture.js';

/** Journey definitions: drafts, publishing, versions, and the checks that refuse a definition that cannot work. */

let harness: Harness;
let clinic: TestTenant;

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
  await kneeTemplates(clinic);
});
afterAll(() => harness.close());

type JourneyBody = { id: string; latestVersion: number; publishedVersion: number | null; triggerEvent: string | null; versions: { version: number; status: string; definition: { stages: unknown[] } }[] };

let counter = 0;
const define = (definition: unknown, name = `Knee ${counter++}`) => clinic.request('POST', JOURNEYS, { body: { name, definition } });

/** The knee definition with `change` applied to a copy. */
function kneeWith(change: (definition: ReturnType<typeof kneeDefinition>) => void) {
  const definition = kneeDefinition();
  change(definition);
  return definition;
}

describe('journey definitions', () => {
  it('are drafted, published, and versioned: a published version never changes', async () => {
    const created = await define(kneeDefinition());
    expect(created.status).toBe(201);
    const journey = (await created.json()) as JourneyBody;
    expect(journey).toMatchObject({ latestVersion: 1, publishedVersion: null, versions: [{ version: 1, status: 'draft' }] });

    const published = await clinic.call<JourneyBody>('POST', `${JOURNEYS}/${journey.id}/publish`);
    expect(published).toMatchObject({ publishedVersion: 1, triggerEvent: 'appointment.booked', versions: [{ version: 1, status: 'published' }] });
    await expectRefusal(await clinic.request('POST', `${JOURNEYS}/${journey.id}/publish`), 422);

    const shorter = kneeWith((definition) => {
      definition.stages[3].next = [{ to: 'done', after: { delay: '1d' } }];
      definition.stages.splice(4, 1);
    });
    const drafted = await clinic.call<JourneyBody>('PUT', `${JOURNEYS}/${journey.id}/draft`, { definition: shorter });
    expect(drafted.versions.map((version) => [version.version, version.status, version.definition.stages.length])).toEqual([
      [2, 'draft', 5],
      [1, 'published', 6],
    ]);
    expect(drafted.publishedVersion).toBe(1);
    const again = await clinic.call<JourneyBody>('PUT', `${JOURNEYS}/${journey.id}/draft`, { definition: kneeDefinition() });
    expect(again.versions.map((version) => [version.version, version.status])).toEqual([
      [2, 'draft'],
      [1, 'published'],
    ]);
    await clinic.call('POST', `${JOURNEYS}/${journey.id}/publish`);
    const shown = await clinic.call<JourneyBody>('GET', `${JOURNEYS}/${journey.id}`);
    expect(shown).toMatchObject({ latestVersion: 2, publishedVersion: 2 });

    // The database itself refuses to change a published version.
    await expect(
      harness.services.orm.em.fork().getConnection().execute(`update journey_version set definition = '{}' where journey_id = ? and version = 1`, [journey.id]),
    ).rejects.toThrow(/never changes/);

    const list = await clinic.call<{ items: { id: string }[] }>('GET', JOURNEYS);
    expect(list.items.map((item) => item.id)).toContain(journey.id);
  });

  it.each([
    ['an unknown event type', (d: ReturnType<typeof kneeDefinition>) => (d.trigger.event = 'appointment.teleported'), 'definition.trigger.event', /unknown event type/],
    ['an event journeys do not react to', (d: ReturnType<typeof kneeDefinition>) => (d.stages[1].next![0].on!.event = 'webhook.test'), 'definition.stages.1.next.0.on.event', /stage remind: .*do not react/],
    ['a tool journeys may not call', (d: ReturnType<typeof kneeDefinition>) => (d.stages[4].actions![0].tool = 'delete_patient'), 'definition.stages.4.actions.0.tool', /stage nurse: delete_patient is not a tool/],
    ['a template that does not exist', (d: ReturnType<typeof kneeDefinition>) => (d.stages[0].actions![0].input = { channel: 'sms', purpose: 'care_messages', template: { name: 'no-such' } }), 'definition.stages.0.actions.0.input.template.name', /stage prepare: no template no-such on sms/],
    ['a template not on that channel', (d: ReturnType<typeof kneeDefinition>) => (d.stages[0].actions![0].input = { channel: 'email', purpose: 'care_messages', template: { name: 'knee-prep' } }), 'definition.stages.0.actions.0.input.template.name', /no template knee-prep on email/],
    ['an action input the tool refuses', (d: ReturnType<typeof kneeDefinition>) => (d.stages[4].actions![0].input = { subject: '' }), 'definition.stages.4.actions.0.input.subject', /stage nurse/],
    ['a delay out of range', (d: ReturnType<typeof kneeDefinition>) => (d.stages[2].next![0].after!.delay = '400d'), 'definition.stages.2.next.0.after.delay', /stage visit: at most 365 days/],
    ['a negative delay not from an appointment', (d: ReturnType<typeof kneeDefinition>) => (d.stages[2].next![0].after!.delay = '-1d'), 'definition.stages.2.next.0.after.delay', /counts back from an appointment only/],
    ['a way to a stage that does not exist', (d: ReturnType<typeof kneeDefinition>) => (d.stages[2].next![0].to = 'nowhere'), 'definition.stages.2.next.0.to', /stage visit: no stage is called nowhere/],
    ['a stage that cannot be reached', (d: ReturnType<typeof kneeDefinition>) => d.stages.push({ key: 'orphan', name: 'Orphan' }), 'definition.stages.6.key', /stage orphan: cannot be reached/],
    ['a cycle without a delay', (d: ReturnType<typeof kneeDefinition>) => (d.stages[5] = { key: 'done', name: 'Answered', next: [{ to: 'survey', on: { event: 'appointment.booked' } }] } as never), 'definition.stages.5.next.0.to', /closes a cycle with no delay/],
  ])('refuse %s with 422 naming the stage and field, saving nothing', async (_, change, field, message) => {
    const before = await countRows(harness, clinic, 'journey');
    const error = await expectRefusal(await define(kneeWith(change as (d: ReturnType<typeof kneeDefinition>) => void)), 422, field);
    expect(error.message).toMatch(message);
    expect(await countRows(harness, clinic, 'journey')).toBe(before);
  });

  it('refuses a tool the journey’s role may not call, and a template only drafted', async () => {
    const agentOnly = kneeWith((d) => Object.assign(d, { role: 'agent' }));
    const error = await expectRefusal(await define(agentOnly), 422, 'definition.stages.0.actions.0.tool');
    expect(error.message).toMatch(/the journey’s role \(agent\) may not call send_notification/);

    await clinic.call('POST', '/api/v1/prm/templates', { name: 'draft-only', channel: 'sms', locale: 'en', body: 'Not yet.' });
    const drafted = kneeWith((d) => (d.stages[0].actions![0].input = { channel: 'sms', purpose: 'care_messages', template: { name: 'draft-only' } }));
    const refused = await expectRefusal(await define(drafted), 422, 'definition.stages.0.actions.0.input.template.name');
    expect(refused.message).toMatch(/has no published version/);
  });

  it('are for staff and admin only', async () => {
    expect((await clinic.request('GET', JOURNEYS, { key: clinic.keys.agent })).status).toBe(403);
    expect((await clinic.request('GET', JOURNEYS, { key: clinic.keys.staff })).status).toBe(200);
  });
});
