import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { API, expectError } from './appointments-fixtures.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen } from './support/http-server.js';

// Wednesday 2026-11-25, 07:00 in New York.
const clock = fixedClock(new Date('2026-11-25T12:00:00Z'));
let harness: Harness;
let http: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  harness = await createHarness({ clock });
  http = await listen(harness.app.fetch);
});
afterAll(async () => {
  await http.close();
  await harness.close();
});

type Version = { id: string; version: number; status: string; body: string; subject: string | null; contentSid: string | null; variables: string[] | null; publishedAt: string | null; publishedBy: { kind: string } | null };
type Template = { id: string; name: string; channel: string; locale: string; publishedVersion: number | null; draftVersion: number | null; versions: Version[] };

/** Staff do this work: every call goes with the staff key. */
const as = (clinic: TestTenant, key = clinic.keys.staff) => ({
  request: (method: string, path: string, body?: unknown) => clinic.request(method, `${API}${path}`, { body, key }),
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await clinic.request(method, `${API}${path}`, { body, key });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  },
});

async function newClinic() {
  const clinic = await harness.newTenant({ name: 'Harbor Clinic', timeZone: 'America/New_York' });
  return { clinic, staff: as(clinic) };
}

type Staff = ReturnType<typeof as>;

async function createPublished(staff: Staff, body: Record<string, unknown>): Promise<Template> {
  const template = await staff.call<Template>('POST', '/templates', { channel: 'sms', locale: 'en', ...body });
  await staff.call('POST', `/templates/${template.id}/publish`);
  return template;
}

const events = (clinic: TestTenant, entityId: string) =>
  harness.services.orm.em
    .fork()
    .execute<{ type: string; payload: Record<string, unknown> }[]>('select type, payload from domain_event where tenant_id = ? and entity_id = ? order by occurred_at, id', [clinic.tenant.id, entityId]);

describe('create → publish', () => {
  it('creates a template with its first draft, and publishing lists the variables it uses', async () => {
    const { staff } = await newClinic();
    const created = await staff.request('POST', '/templates', {
      name: 'appointment-reminder',
      channel: 'sms',
      locale: 'en',
      description: 'The day-before reminder',
      body: 'Hi {{ patient.preferredName }}: {{ appointment.startLocal }} with {{ appointment.practitionerName }}. {{ clinic.name | upcase }}. Code {{ values.code }}.',
    });
    expect(created.status).toBe(201);
    const template = (await created.json()) as Template;
    expect(template).toMatchObject({ name: 'appointment-reminder', channel: 'sms', locale: 'en', publishedVersion: null, draftVersion: 1 });
    expect(template.versions).toEqual([expect.objectContaining({ version: 1, status: 'draft', variables: null, publishedAt: null })]);

    const published = await staff.call<Version>('POST', `/templates/${template.id}/publish`, { version: 1 });
    expect(published).toMatchObject({ version: 1, status: 'published', publishedBy: { kind: 'staff' }, publishedAt: '2026-11-25T12:00:00.000Z' });
    expect(published.variables).toEqual(['appointment.practitionerName', 'appointment.startLocal', 'clinic.name', 'patient.preferredName', 'values.code']);
    expect(await staff.call<Template>('GET', `/templates/${template.id}`)).toMatchObject({ publishedVersion: 1, draftVersion: null });
  });

  it('is staff work: the agent role may not call the template operations', async () => {
    const { clinic } = await newClinic();
    const agent = as(clinic, clinic.keys.agent);
    await expectError(await agent.request('POST', '/templates', { name: 'x', channel: 'sms', locale: 'en', body: 'Hi' }), 403);
    await expectError(await agent.request('GET', '/templates'), 403);
  });
});

describe('versions', () => {
  it('never changes a published version: edits open the next draft', async () => {
    const { staff } = await newClinic();
    const template = await createPublished(staff, { name: 'welcome', body: 'Welcome v1' });

    const draft = await staff.call<Version>('PATCH', `/templates/${template.id}/draft`, { body: 'Welcome v2, {{ clinic.name }}' });
    expect(draft).toMatchObject({ version: 2, status: 'draft', body: 'Welcome v2, {{ clinic.name }}', variables: null });
    // A second edit changes that draft; it does not open a third version.
    const edited = await staff.call<Version>('PATCH', `/templates/${template.id}/draft`, { body: 'Welcome v2b, {{ clinic.name }}' });
    expect(edited).toMatchObject({ id: draft.id, version: 2, body: 'Welcome v2b, {{ clinic.name }}' });

    let full = await staff.call<Template>('GET', `/templates/${template.id}`);
    expect(full).toMatchObject({ publishedVersion: 1, draftVersion: 2 });
    expect(full.versions.map((version) => [version.version, version.status, version.body])).toEqual([
      [2, 'draft', 'Welcome v2b, {{ clinic.name }}'],
      [1, 'published', 'Welcome v1'],
    ]);

    // A stale guard is a conflict, and nothing is published.
    const stale = await staff.request('POST', `/templates/${template.id}/publish`, { version: 1 });
    expect((await expectError(stale, 409)).error.details).toEqual({ draftVersion: 2 });
    await staff.call('POST', `/templates/${template.id}/publish`, { version: 2 });
    await expectError(await staff.request('POST', `/templates/${template.id}/publish`), 409);

    full = await staff.call<Template>('GET', `/templates/${template.id}`);
    expect(full).toMatchObject({ publishedVersion: 2, draftVersion: null });
    expect(full.versions.find((version) => version.version === 1)).toMatchObject({ status: 'published', body: 'Welcome v1' });

    // The next edit starts from version 2's texts.
    expect(await staff.call<Version>('PATCH', `/templates/${template.id}/draft`, { body: 'v3' })).toMatchObject({ version: 3, status: 'draft' });
  });

  it('the database refuses any change to a published version', async () => {
    const { staff } = await newClinic();
    const template = await createPublished(staff, { name: 'frozen', body: 'As sent' });
    const connection = harness.services.orm.em.fork().getConnection();
    await expect(connection.execute(`update message_template_version set body = 'Changed' where template_id = ?`, [template.id])).rejects.toThrow(/never changes/);
    const [row] = await connection.execute<{ body: string }[]>('select body from message_template_version where template_id = ?', [template.id]);
    expect(row.body).toBe('As sent');
  });

  it('lists templates by channel, locale and name, a page at a time', async () => {
    const { staff } = await newClinic();
    const reminderEn = await createPublished(staff, { name: 'reminder', body: 'Reminder' });
    const reminderEs = await staff.call<Template>('POST', '/templates', { name: 'reminder', channel: 'sms', locale: 'es', body: 'Recordatorio' });
    const email = await staff.call<Template>('POST', '/templates', { name: 'reminder', channel: 'email', locale: 'en', subject: 'Reminder', body: 'Reminder' });
    await staff.call('POST', '/templates', { name: 'welcome', channel: 'sms', locale: 'en', body: 'Welcome' });

    const ids = async (query: string) => (await staff.call<{ items: { id: string }[] }>('GET', `/templates?${query}`)).items.map((item) => item.id);
    expect(await ids('name=reminder&channel=sms')).toEqual([reminderEs.id, reminderEn.id]);
    expect(await ids('locale=ES')).toEqual([reminderEs.id]);
    expect(await ids('channel=email')).toEqual([email.id]);
    const [first] = (await staff.call<{ items: { id: string; publishedVersion: number | null; draftVersion: number | null }[] }>('GET', '/templates?name=reminder&channel=sms&locale=en')).items;
    expect(first).toMatchObject({ id: reminderEn.id, publishedVersion: 1, draftVersion: null });

    const page1 = await staff.call<{ items: { id: string }[]; nextCursor: string }>('GET', '/templates?limit=3');
    expect(page1.items).toHaveLength(3);
    const page2 = await staff.call<{ items: { id: string }[]; nextCursor: string | null }>('GET', `/templates?limit=3&cursor=${page1.nextCursor}`);
    expect(page2).toMatchObject({ items: [{ id: reminderEn.id }], nextCursor: null });
  });

  it('refuses a second template with the same name, channel and locale', async () => {
    const { staff } = await newClinic();
    const first = await staff.call<Template>('POST', '/templates', { name: 'reminder', channel: 'sms', locale: 'es-MX', body: 'Uno' });
    const again = await staff.request('POST', '/templates', { name: 'reminder', channel: 'sms', locale: 'es-mx', body: 'Dos' });
    expect((await expectError(again, 409)).error.details).toEqual({ templateId: first.id });
  });
});

describe('publishing refuses a template it cannot vouch for', () => {
  it('lists every problem by field (unknown variable, syntax error, unknown filter, no Content SID) and publishes nothing', async () => {
    const { clinic, staff } = await newClinic();
    const template = await staff.call<Template>('POST', '/templates', {
      name: 'broken',
      channel: 'whatsapp',
      locale: 'en',
      body: 'Hi {{ patient.nickname }}, {{ patient.givenName }} {{ appointment.when }}',
      contentVariables: { '1': '{{ patient.givenName ', '2': '{{ patient.givenName | shout }}' },
    });
    const response = await staff.request('POST', `/templates/${template.id}/publish`);
    const { error } = await expectError(response, 422);
    expect(error.code).toBe('unprocessable');
    expect(error.issues).toEqual([
      { path: 'contentSid', message: expect.stringMatching(/Content SID/) },
      { path: 'body', message: 'unknown variable patient.nickname (line 1, column 7)' },
      { path: 'body', message: 'unknown variable appointment.when (line 1, column 55)' },
      { path: 'contentVariables.1', message: expect.stringMatching(/^syntax error: .*not closed/) },
      { path: 'contentVariables.2', message: expect.stringMatching(/^syntax error: unknown filter "shout"/) },
    ]);

    const after = await staff.call<Template>('GET', `/templates/${template.id}`);
    expect(after).toMatchObject({ publishedVersion: null, draftVersion: 1 });
    expect(after.versions[0]).toMatchObject({ status: 'draft', variables: null, publishedAt: null });
    expect((await events(clinic, template.id)).map((event) => event.type)).toEqual(['template.created']);

    // Fixed, it publishes, and the event names ids and the version, no text.
    await staff.call('PATCH', `/templates/${template.id}/draft`, {
      body: 'Hi {{ patient.givenName }}',
      contentSid: 'HX0123456789abcdef0123456789abcdef',
      contentVariables: { '1': '{{ patient.givenName }}' },
    });
    const published = await staff.call<Version>('POST', `/templates/${template.id}/publish`);
    const recorded = await events(clinic, template.id);
    expect(recorded.map((event) => event.type)).toEqual(['template.created', 'template.draft_updated', 'template.published']);
    expect(recorded[2].payload).toEqual({ templateId: template.id, versionId: published.id, version: 1 });
  });

  it.each([
    ['the prototype chain', '{{ patient.constructor }}', /unknown variable patient.constructor/],
    ['__proto__ by index', "{{ patient['__proto__'] }}", /unknown variable patient.__proto__ \(line 1, column 4\)/],
    ['a value named constructor', '{{ values.constructor }}', /unknown variable values.constructor/],
    ['a whole object', '{% assign p = patient %}{{ p.constructor.name }}', /unknown variable patient /],
    ['a computed name', '{{ patient[values.field] }}', /unknown variable patient\[values.field\]/],
    ['a property of a value', '{{ patient.givenName.size }}', /unknown variable patient.givenName.size/],
    ['another template', "{% include 'secrets' %}", /unknown or disallowed tag "include"/],
    ['a filter that evaluates text', '{{ values.list | where_exp: "x", "x.constructor" }}', /unknown filter "where_exp"/],
    ['the clock', "{{ 'now' | date: '%Y' }}", /unknown filter "date"/],
  ])('refuses %s', async (_label, body, message) => {
    const { staff } = await newClinic();
    const template = await staff.call<Template>('POST', '/templates', { name: 'probe', channel: 'sms', locale: 'en', body });
    const { error } = await expectError(await staff.request('POST', `/templates/${template.id}/publish`), 422, 'body');
    expect(error.issues?.map((issue) => issue.message).join('\n')).toMatch(message);
    expect((await staff.call<Template>('GET', `/templates/${template.id}`)).publishedVersion).toBeNull();
  });
});

describe('input a template must have', () => {
  it('an email needs a subject; only email has one, only WhatsApp a Content SID', async () => {
    const { staff } = await newClinic();
    await expectError(await staff.request('POST', '/templates', { name: 'mail', channel: 'email', locale: 'en', body: 'Hi' }), 400, 'subject');
    await expectError(await staff.request('POST', '/templates', { name: 'text', channel: 'sms', locale: 'en', body: 'Hi', subject: 'No' }), 400, 'subject');
    await expectError(await staff.request('POST', '/templates', { name: 'text', channel: 'sms', locale: 'en', body: 'Hi', contentSid: 'HX0123456789abcdef0123456789abcdef' }), 400, 'contentSid');
    await expectError(await staff.request('POST', '/templates', { name: 'text', channel: 'whatsapp', locale: 'en', body: 'Hi', contentSid: 'MG0123' }), 400, 'contentSid');
    const mail = await createPublished(staff, { name: 'mail', channel: 'email', subject: 'Your code: {{ values.code }}', body: 'Code {{ values.code }}' });
    await expectError(await staff.request('PATCH', `/templates/${mail.id}/draft`, { subject: null }), 400, 'subject');
  });

  it.each([
    ['sms', 1_600],
    ['whatsapp', 1_024],
    ['email', 100_000],
  ] as const)('a %s body of at most %i characters', async (channel, limit) => {
    const { staff } = await newClinic();
    const extra = channel === 'email' ? { subject: 'Hello' } : {};
    await expectError(await staff.request('POST', '/templates', { name: 'long', channel, locale: 'en', body: 'x'.repeat(limit + 1), ...extra }), 400, 'body');
    const template = await staff.call<Template>('POST', '/templates', { name: 'long', channel, locale: 'en', body: 'x'.repeat(limit), ...extra });
    await expectError(await staff.request('PATCH', `/templates/${template.id}/draft`, { body: 'y'.repeat(limit + 1) }), 400, 'body');
    expect((await staff.call<Template>('GET', `/templates/${template.id}`)).versions[0].body).toBe('x'.repeat(limit));
  });

  it('a locale the runtime knows, stored canonical; anything else is a 400 naming locale', async () => {
    const { staff } = await newClinic();
    for (const locale of ['xx', 'en-u-ca-buddhist', 'not a locale', 'es-ZZ', '']) {
      await expectError(await staff.request('POST', '/templates', { name: 'hi', channel: 'sms', locale, body: 'Hi' }), 400, 'locale');
    }
    await expectError(await staff.request('GET', '/templates?locale=zz'), 400, 'locale');
    expect(await staff.call<Template>('POST', '/templates', { name: 'hi', channel: 'sms', locale: 'zh-hant-tw', body: 'Hi' })).toMatchObject({ locale: 'zh-Hant-TW' });
  });
});

describe('MCP', () => {
  it('offers the operations as tools, and a refusal comes back as a tool error listing the problems', async () => {
    const { clinic } = await newClinic();
    const client = new Client({ name: 'templates-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${clinic.keys.staff}` } } }));
    try {
      const { tools } = await client.listTools();
      const names = ['create_template', 'list_templates', 'get_template', 'update_template_draft', 'publish_template'];
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(names));
      expect(tools.find((tool) => tool.name === 'list_templates')?.annotations?.readOnlyHint).toBe(true);
      expect(tools.find((tool) => tool.name === 'create_template')?.description).toContain('patient.givenName');

      const created = await client.callTool({ name: 'create_template', arguments: { name: 'mcp', channel: 'sms', locale: 'en', body: 'Hi {{ patient.nick }}' } });
      expect(created.isError).toBeFalsy();
      const template = created.structuredContent as Template;
      const refused = await client.callTool({ name: 'publish_template', arguments: { id: template.id } });
      expect(refused.isError).toBe(true);
      expect((refused.content as { text: string }[])[0].text).toMatch(/^unprocessable: [\s\S]*\n- body: unknown variable patient.nick/);

      await client.callTool({ name: 'update_template_draft', arguments: { id: template.id, body: 'Hi from {{ clinic.name }}' } });
      expect((await client.callTool({ name: 'publish_template', arguments: { id: template.id } })).isError).toBeFalsy();

      const runs = await clinic.call<{ items: { tool: string; status: string; actor: { kind: string } }[] }>('GET', `${API}/agents/runs?actorKind=mcp`);
      expect(runs.items.map((run) => [run.tool, run.status])).toEqual(
        expect.arrayContaining([
          ['create_template', 'succeeded'],
          ['publish_template', 'failed'],
          ['publish_template', 'succeeded'],
        ]),
      );
    } finally {
      await client.close();
    }
  });
});
