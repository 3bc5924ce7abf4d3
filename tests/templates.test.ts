import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { createContext, type AppContext } from '../src/context.js';
import { AppError } from '../src/errors.js';
import { renderTemplate } from '../src/modules/templates/service.js';
import { tenantEntityManager } from '../src/tools/runner.js';
import { API, createScheduledPractitioner, expectError } from './appointments-fixtures.js';
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
type Rendered = { templateId: string; versionId: string; version: number; locale: string; subject?: string; body: string; contentSid?: string; contentVariables?: Record<string, string> };

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

const createPatient = (staff: Staff, body: Record<string, unknown> = {}) =>
  staff.call<{ id: string }>('POST', '/patients', { givenName: 'Maria', familyName: 'Gonzalez', dateOfBirth: '1984-03-12', ...body }).then((patient) => patient.id);

async function createPublished(staff: Staff, body: Record<string, unknown>): Promise<Template> {
  const template = await staff.call<Template>('POST', '/templates', { channel: 'sms', locale: 'en', ...body });
  await staff.call('POST', `/templates/${template.id}/publish`);
  return template;
}

const events = (clinic: TestTenant, entityId: string) =>
  harness.services.orm.em
    .fork()
    .execute<{ type: string; payload: Record<string, unknown> }[]>('select type, payload from domain_event where tenant_id = ? and entity_id = ? order by occurred_at, id', [clinic.tenant.id, entityId]);

/** What another module has: a context of its own, acting as the system. */
function systemContext(clinic: TestTenant): AppContext {
  const em = tenantEntityManager(harness.services, clinic.tenant.id);
  return createContext(harness.services, { tenant: clinic.tenant, actor: { kind: 'system', id: 'test', role: 'system' }, channel: 'system' }, em);
}

describe('create → publish → render', () => {
  it('renders the latest published version with the patient, the appointment, the clinic and the caller’s values', async () => {
    const { clinic, staff } = await newClinic();
    await clinic.call('PATCH', `${API}/clinic`, { phone: '+12125550100', address: '1 Harbor Street' });
    const patientId = await createPatient(staff, { preferredName: 'Mari' });
    const { practitionerId, locationId } = await createScheduledPractitioner(clinic, { name: 'Dr. Ana Ruiz' });
    await clinic.call('PATCH', `${API}/locations/${locationId}`, { address: '5 Main Street' });
    const appointment = await staff.call<{ id: string }>('POST', '/appointments', { patientId, practitionerId, startAt: '2026-12-01T14:30:00Z' });

    const created = await staff.request('POST', '/templates', {
      name: 'appointment-reminder',
      channel: 'sms',
      locale: 'en',
      description: 'The day-before reminder',
      body: 'Hi {{ patient.preferredName }} ({{ patient.fullName }}): {{ appointment.startLocal }} with {{ appointment.practitionerName }} at {{ appointment.locationName }}, {{ appointment.locationAddress }}. {{ clinic.name | upcase }} {{ clinic.phone }}, {{ clinic.address }}. Code {{ values.code }}.',
    });
    expect(created.status).toBe(201);
    const template = (await created.json()) as Template;
    expect(template).toMatchObject({ name: 'appointment-reminder', channel: 'sms', locale: 'en', publishedVersion: null, draftVersion: 1 });
    expect(template.versions).toEqual([expect.objectContaining({ version: 1, status: 'draft', variables: null, publishedAt: null })]);

    // Nothing is sent from a draft.
    const unpublished = await staff.request('POST', '/templates/preview', { name: 'appointment-reminder', channel: 'sms', patientId });
    expect((await expectError(unpublished, 404)).error.message).toMatch(/published/);

    const published = await staff.call<Version>('POST', `/templates/${template.id}/publish`, { version: 1 });
    expect(published).toMatchObject({ version: 1, status: 'published', publishedBy: { kind: 'staff' }, publishedAt: '2026-11-25T12:00:00.000Z' });
    expect(published.variables).toEqual([
      'appointment.locationAddress',
      'appointment.locationName',
      'appointment.practitionerName',
      'appointment.startLocal',
      'clinic.address',
      'clinic.name',
      'clinic.phone',
      'patient.fullName',
      'patient.preferredName',
      'values.code',
    ]);

    const rendered = await staff.call<Rendered>('POST', '/templates/preview', {
      name: 'appointment-reminder',
      channel: 'sms',
      appointmentId: appointment.id,
      values: { code: '4711' },
    });
    expect(rendered).toEqual({
      templateId: template.id,
      versionId: published.id,
      version: 1,
      name: 'appointment-reminder',
      channel: 'sms',
      locale: 'en',
      body: 'Hi Mari (Maria Gonzalez): Tuesday, December 1, 2026 at 9:30 AM with Dr. Ana Ruiz at Main Street, 5 Main Street. HARBOR CLINIC +12125550100, 1 Harbor Street. Code 4711.',
    });

    // The function other modules call gives the same message.
    const direct = await renderTemplate(systemContext(clinic), { name: 'appointment-reminder', channel: 'sms', locale: 'en', patientId, appointmentId: appointment.id, values: { code: '4711' } });
    expect(direct.body).toBe(rendered.body);
  });

  it('renders WhatsApp with the Content SID and the rendered ContentVariables', async () => {
    const { clinic, staff } = await newClinic();
    const patientId = await createPatient(staff);
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const appointment = await staff.call<{ id: string }>('POST', '/appointments', { patientId, practitionerId, startAt: '2026-12-02T15:00:00Z' });
    await createPublished(staff, {
      name: 'reminder',
      channel: 'whatsapp',
      body: 'Hi {{ patient.givenName }}, see you at {{ appointment.time }}.',
      contentSid: 'HX0123456789ABCDEF0123456789abcdef',
      contentVariables: { '1': '{{ patient.givenName }}', '2': '{{ appointment.time }} ({{ appointment.date }})' },
    });
    const rendered = await staff.call<Rendered>('POST', '/templates/preview', { name: 'reminder', channel: 'whatsapp', patientId, appointmentId: appointment.id });
    expect(rendered).toMatchObject({
      body: 'Hi Maria, see you at 10:00 AM.',
      contentSid: 'HX0123456789abcdef0123456789abcdef',
      contentVariables: { '1': 'Maria', '2': '10:00 AM (Wednesday, December 2, 2026)' },
    });
  });

  it('is staff work: the agent role may not call the template operations', async () => {
    const { clinic } = await newClinic();
    const agent = as(clinic, clinic.keys.agent);
    await expectError(await agent.request('POST', '/templates', { name: 'x', channel: 'sms', locale: 'en', body: 'Hi' }), 403);
    await expectError(await agent.request('POST', '/templates/preview', { name: 'x', channel: 'sms' }), 403);
    await expectError(await agent.request('GET', '/templates'), 403);
  });
});

describe('versions', () => {
  it('never changes a published version: edits open the next draft, rendering uses the latest published or the version asked for', async () => {
    const { clinic, staff } = await newClinic();
    const template = await createPublished(staff, { name: 'welcome', body: 'Welcome v1' });
    const preview = (body: Record<string, unknown> = {}) => staff.call<Rendered>('POST', '/templates/preview', { name: 'welcome', channel: 'sms', ...body });

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

    // Sending uses the latest published; a preview may name the draft; the exported render may not.
    expect((await preview()).body).toBe('Welcome v1');
    expect(await preview({ version: 2 })).toMatchObject({ version: 2, body: 'Welcome v2b, Harbor Clinic' });
    await expect(renderTemplate(systemContext(clinic), { name: 'welcome', channel: 'sms', version: 2 })).rejects.toMatchObject({ code: 'not_found' });

    // A stale guard is a conflict, and nothing is published.
    const stale = await staff.request('POST', `/templates/${template.id}/publish`, { version: 1 });
    expect((await expectError(stale, 409)).error.details).toEqual({ draftVersion: 2 });
    await staff.call('POST', `/templates/${template.id}/publish`, { version: 2 });
    expect(await preview()).toMatchObject({ version: 2, body: 'Welcome v2b, Harbor Clinic' });
    expect(await preview({ version: 1 })).toMatchObject({ version: 1, body: 'Welcome v1' });
    expect((await renderTemplate(systemContext(clinic), { name: 'welcome', channel: 'sms', version: 1 })).body).toBe('Welcome v1');
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

describe('locale fallback', () => {
  it('falls back es-MX → es → the clinic’s default, which update_clinic_profile sets', async () => {
    const { clinic, staff } = await newClinic();
    await createPublished(staff, { name: 'greeting', locale: 'en', body: 'Hello {{ patient.givenName }}' });
    await createPublished(staff, { name: 'greeting', locale: 'es', body: 'Hola {{ patient.givenName }}' });
    // A template with only a draft has nothing to send: it is passed over.
    await staff.call('POST', '/templates', { name: 'greeting', channel: 'sms', locale: 'fr', body: 'Bonjour' });
    const patientId = await createPatient(staff);
    const render = (locale?: string) => staff.call<Rendered>('POST', '/templates/preview', { name: 'greeting', channel: 'sms', patientId, ...(locale ? { locale } : {}) });

    expect(await render('es-MX')).toMatchObject({ locale: 'es', body: 'Hola Maria' });
    expect(await render('es')).toMatchObject({ locale: 'es', body: 'Hola Maria' });
    expect(await render('fr')).toMatchObject({ locale: 'en', body: 'Hello Maria' });
    expect(await render()).toMatchObject({ locale: 'en' });

    // No locale is set yet: the clinic answers English. Set Mexican Spanish: es-MX has no template, es has.
    expect(await clinic.call('GET', `${API}/clinic`)).toMatchObject({ locale: 'en' });
    expect(await clinic.call('PATCH', `${API}/clinic`, { locale: 'es-mx' })).toMatchObject({ locale: 'es-MX' });
    expect(await render()).toMatchObject({ locale: 'es', body: 'Hola Maria' });
    expect(await render('fr-CA')).toMatchObject({ locale: 'es' });
    expect(await render('en-GB')).toMatchObject({ locale: 'en' });
    await expectError(await clinic.request('PATCH', `${API}/clinic`, { body: { locale: 'klingon-x' } }), 400, 'locale');
  });

  it('without a locale, uses the patient’s preferred language, and writes the appointment’s date in the template’s language', async () => {
    const { clinic, staff } = await newClinic();
    await createPublished(staff, { name: 'when', locale: 'en', body: '{{ appointment.date }}' });
    await createPublished(staff, { name: 'when', locale: 'es', body: '{{ appointment.date }}, {{ appointment.time }}' });
    const patientId = await createPatient(staff, { preferredLanguage: 'es-AR' });
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const appointment = await staff.call<{ id: string }>('POST', '/appointments', { patientId, practitionerId, startAt: '2026-12-01T14:30:00Z' });
    expect(await staff.call<Rendered>('POST', '/templates/preview', { name: 'when', channel: 'sms', appointmentId: appointment.id })).toMatchObject({
      locale: 'es',
      body: 'martes, 1 de diciembre de 2026, 9:30',
    });
    expect(await staff.call<Rendered>('POST', '/templates/preview', { name: 'when', channel: 'sms', appointmentId: appointment.id, locale: 'en' })).toMatchObject({
      locale: 'en',
      body: 'Tuesday, December 1, 2026',
    });
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

describe('rendering refuses what it cannot fill', () => {
  it('names every variable without a value here, and renders nothing', async () => {
    const { staff } = await newClinic();
    await createPublished(staff, { name: 'needs', body: '{{ patient.givenName }} {{ appointment.time }} {{ clinic.phone }} {{ values.code }}' });
    const patientId = await createPatient(staff);
    const response = await staff.request('POST', '/templates/preview', { name: 'needs', channel: 'sms', patientId, values: { other: 'x' } });
    const { error } = await expectError(response, 422);
    expect(error.issues).toEqual([
      { path: 'appointment.time', message: 'give an appointmentId' },
      { path: 'clinic.phone', message: 'set it in the clinic profile (update_clinic_profile)' },
      { path: 'values.code', message: 'give it in values (code)' },
    ]);
    expect(error.details).toEqual({ missing: ['appointment.time', 'clinic.phone', 'values.code'] });
    expect(error.message).not.toContain('Maria');

    const withoutPatient = await staff.request('POST', '/templates/preview', { name: 'needs', channel: 'sms', values: { code: '1' } });
    expect((await expectError(withoutPatient, 422)).error.issues).toContainEqual({ path: 'patient.givenName', message: 'give a patientId (or an appointmentId)' });
  });

  it('refuses a deleted or merged patient (422) and another patient’s appointment', async () => {
    const { clinic, staff } = await newClinic();
    await createPublished(staff, { name: 'hello', body: 'Hello {{ patient.givenName }}' });
    const deleted = await createPatient(staff, { givenName: 'Dora' });
    await staff.call('DELETE', `/patients/${deleted}`);
    const refused = await expectError(await staff.request('POST', '/templates/preview', { name: 'hello', channel: 'sms', patientId: deleted }), 422);
    expect(refused.error).toMatchObject({ code: 'unprocessable', details: { patientStatus: 'deleted' } });

    const kept = await createPatient(staff, { givenName: 'Kim', familyName: 'Lee', dateOfBirth: '1990-01-01' });
    const merged = await createPatient(staff, { givenName: 'Kimberly', familyName: 'Lee', dateOfBirth: '1990-01-01', allowDuplicate: true });
    await clinic.call('POST', `${API}/patients/${kept}/merge`, { sourcePatientId: merged });
    const mergedRefusal = await expectError(await staff.request('POST', '/templates/preview', { name: 'hello', channel: 'sms', patientId: merged }), 422);
    expect(mergedRefusal.error.details).toMatchObject({ patientStatus: 'merged', mergedIntoId: kept });

    const { practitionerId } = await createScheduledPractitioner(clinic);
    const appointment = await staff.call<{ id: string }>('POST', '/appointments', { patientId: kept, practitionerId, startAt: '2026-12-01T14:30:00Z' });
    const other = await createPatient(staff, { givenName: 'Otto', familyName: 'Berg', dateOfBirth: '1970-07-07' });
    await expectError(await staff.request('POST', '/templates/preview', { name: 'hello', channel: 'sms', patientId: other, appointmentId: appointment.id }), 404);
  });

  it('stops a runaway loop, and a message rendered longer than the channel allows', async () => {
    const { staff } = await newClinic();
    await createPublished(staff, { name: 'loop', body: '{% for i in (1..100000) %}{% for j in (1..100000) %}x{% endfor %}{% endfor %}' });
    const loop = await expectError(await staff.request('POST', '/templates/preview', { name: 'loop', channel: 'sms' }), 422, 'body');
    expect(loop.error.issues?.[0].message).toMatch(/limit exceeded/);

    await createPublished(staff, { name: 'echo', body: '{{ values.text }}!' });
    const fits = await staff.call<Rendered>('POST', '/templates/preview', { name: 'echo', channel: 'sms', values: { text: 'x'.repeat(1_599) } });
    expect(fits.body).toHaveLength(1_600);
    const long = await expectError(await staff.request('POST', '/templates/preview', { name: 'echo', channel: 'sms', values: { text: 'x'.repeat(1_600) } }), 422, 'body');
    expect(long.error.issues?.[0].message).toBe('1601 characters; sms allows 1600');
  });
});

describe('input a template must have', () => {
  it('an email needs a subject, rendered on one line; only email has one', async () => {
    const { staff } = await newClinic();
    await expectError(await staff.request('POST', '/templates', { name: 'mail', channel: 'email', locale: 'en', body: 'Hi' }), 400, 'subject');
    await expectError(await staff.request('POST', '/templates', { name: 'text', channel: 'sms', locale: 'en', body: 'Hi', subject: 'No' }), 400, 'subject');
    await expectError(await staff.request('POST', '/templates', { name: 'text', channel: 'sms', locale: 'en', body: 'Hi', contentSid: 'HX0123456789abcdef0123456789abcdef' }), 400, 'contentSid');
    await expectError(await staff.request('POST', '/templates', { name: 'text', channel: 'whatsapp', locale: 'en', body: 'Hi', contentSid: 'MG0123' }), 400, 'contentSid');

    const mail = await createPublished(staff, { name: 'mail', channel: 'email', subject: 'Your code: {{ values.code }}', body: 'Code {{ values.code }}' });
    await expectError(await staff.request('PATCH', `/templates/${mail.id}/draft`, { subject: null }), 400, 'subject');
    const rendered = await staff.call<Rendered>('POST', '/templates/preview', { name: 'mail', channel: 'email', values: { code: '12\r\nBcc: x@example.com' } });
    expect(rendered).toMatchObject({ subject: 'Your code: 12 Bcc: x@example.com', body: 'Code 12\r\nBcc: x@example.com' });
    expect(rendered.contentSid).toBeUndefined();
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
    await expectError(await staff.request('POST', '/templates/preview', { name: 'hi', channel: 'sms', locale: 'qq' }), 400, 'locale');
    await expectError(await staff.request('GET', '/templates?locale=zz'), 400, 'locale');
    expect(await staff.call<Template>('POST', '/templates', { name: 'hi', channel: 'sms', locale: 'zh-hant-tw', body: 'Hi' })).toMatchObject({ locale: 'zh-Hant-TW' });
    await expect(renderTemplate(systemContext((await newClinic()).clinic), { name: 'hi', channel: 'sms', locale: 'en_US' })).rejects.toSatisfy(
      (error: unknown) => error instanceof AppError && error.code === 'invalid_input' && error.issues?.[0].path === 'locale',
    );
  });
});

describe('MCP', () => {
  it('offers the operations as tools, and a refusal comes back as a tool error listing the problems', async () => {
    const { clinic } = await newClinic();
    const client = new Client({ name: 'templates-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${clinic.keys.staff}` } } }));
    try {
      const { tools } = await client.listTools();
      const names = ['create_template', 'list_templates', 'get_template', 'update_template_draft', 'publish_template', 'preview_template'];
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(names));
      expect(tools.find((tool) => tool.name === 'preview_template')?.annotations?.readOnlyHint).toBe(true);
      expect(tools.find((tool) => tool.name === 'create_template')?.description).toContain('patient.givenName');

      const created = await client.callTool({ name: 'create_template', arguments: { name: 'mcp', channel: 'sms', locale: 'en', body: 'Hi {{ patient.nick }}' } });
      expect(created.isError).toBeFalsy();
      const template = created.structuredContent as Template;
      const refused = await client.callTool({ name: 'publish_template', arguments: { id: template.id } });
      expect(refused.isError).toBe(true);
      expect((refused.content as { text: string }[])[0].text).toMatch(/^unprocessable: [\s\S]*\n- body: unknown variable patient.nick/);

      await client.callTool({ name: 'update_template_draft', arguments: { id: template.id, body: 'Hi from {{ clinic.name }}' } });
      expect((await client.callTool({ name: 'publish_template', arguments: { id: template.id } })).isError).toBeFalsy();
      const preview = await client.callTool({ name: 'preview_template', arguments: { name: 'mcp', channel: 'sms' } });
      expect(preview.structuredContent).toMatchObject({ body: 'Hi from Harbor Clinic', version: 1 });

      const runs = await clinic.call<{ items: { tool: string; status: string; actor: { kind: string } }[] }>('GET', `${API}/agents/runs?actorKind=mcp`);
      expect(runs.items.map((run) => [run.tool, run.status])).toEqual(
        expect.arrayContaining([
          ['create_template', 'succeeded'],
          ['publish_template', 'failed'],
          ['publish_template', 'succeeded'],
          ['preview_template', 'succeeded'],
        ]),
      );
    } finally {
      await client.close();
    }
  });
});
