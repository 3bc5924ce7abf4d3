import type { AppContext } from '../../context.js';
import { AppError, invalid, type FieldIssue } from '../../errors.js';
import { requireAppointment } from '../appointments/appointments.js';
import type { Appointment } from '../appointments/entities.js';
import { clinicFromTenant, clinicLocale } from '../conversations/clinic.js';
import type { Patient } from '../patients/entities.js';
import { Tenant } from '../tenancy/entities.js';
import { checkVersion, type CheckedVersion } from './check.js';
import { buildContext, messagePatient } from './context.js';
import { MessageTemplate, MessageTemplateVersion, type TemplateChannel } from './entities.js';
import { renderText } from './liquid.js';
import { canonicalLocale, localeFallbacks } from './locale.js';
import { bodyLimits, type RenderedMessage, type RenderTemplateInput } from './schema.js';
import { hasValue, ValueName, type KnownValues } from './variables.js';

/** What a template's variable needs when it has no value here, for the caller to act on. */
function missingReason(variable: string, given: { patient: boolean; appointment: boolean }): string {
  const [group] = variable.split('.');
  if (group === 'patient') return given.patient ? 'the patient has no value for it' : 'give a patientId (or an appointmentId)';
  if (group === 'appointment') return given.appointment ? 'the appointment has no value for it' : 'give an appointmentId';
  if (group === 'clinic') return 'set it in the clinic profile (update_clinic_profile)';
  return `give it in values (${variable.slice('values.'.length)})`;
}

export function refuse(message: string, issues: FieldIssue[], details?: Record<string, unknown>): AppError {
  return new AppError('unprocessable', `${message}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, { issues, details });
}

/** The input's locale and values, checked here too: other modules call this without the runner's schema. */
export function checkedInput(input: RenderTemplateInput): { locale: string | undefined } {
  const issues: FieldIssue[] = [];
  const locale = input.locale === undefined ? undefined : canonicalLocale(input.locale);
  if (input.locale !== undefined && locale === undefined) issues.push({ path: 'locale', message: 'a known BCP 47 language tag such as en, es or es-MX' });
  for (const name of Object.keys(input.values ?? {})) {
    if (!ValueName.safeParse(name).success) issues.push({ path: `values.${name}`, message: 'a letter, then letters, digits or underscores (at most 64)' });
  }
  if (issues.length > 0) throw invalid(`Invalid input: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, issues);
  return { locale };
}

export type Chosen = { template: MessageTemplate; version: MessageTemplateVersion };

/**
 * The first template along the locale chain that has something to render: the version asked for
 * (published; a preview may name the draft), or else the latest published one.
 */
async function chooseVersion(
  ctx: AppContext,
  options: { name: string; channel: TemplateChannel; locales: string[]; version: number | undefined; drafts: boolean },
): Promise<Chosen> {
  const templates = await ctx.em.find(MessageTemplate, { name: options.name, channel: options.channel, locale: { $in: options.locales } });
  for (const locale of options.locales) {
    const template = templates.find((candidate) => candidate.locale === locale);
    if (!template) continue;
    const version = await ctx.em.findOne(
      MessageTemplateVersion,
      {
        templateId: template.id,
        ...(options.version !== undefined ? { version: options.version } : {}),
        ...(options.drafts && options.version !== undefined ? {} : { status: 'published' as const }),
      },
      { orderBy: [{ version: 'desc' }] },
    );
    if (version) return { template, version };
  }
  const what = options.version !== undefined ? `version ${options.version}${options.drafts ? '' : ' published'}` : 'a published version';
  throw new AppError('not_found', `No ${options.channel} template "${options.name}" with ${what} in ${options.locales.join(', ')}.`, {
    details: { localesTried: options.locales },
  });
}

async function renderOrRefuse(template: Parameters<typeof renderText>[0], context: KnownValues, path: string): Promise<string> {
  const rendered = await renderText(template, context);
  if (!rendered.ok) throw refuse('The template could not be rendered', [{ path, message: rendered.message }]);
  return rendered.text;
}

/**
 * Renders a message from the clinic's templates, sending nothing.
 *
 * The template is `name` on `channel` in the first locale of the chain that has one: `locale` (or,
 * when omitted, the patient's preferred language) and its parents (`es-MX` → `es`), then the clinic's
 * default locale. The version is the latest published one unless `version` is given. Refused with 422,
 * naming each, when the template uses a variable that has no value here (`appointment.*` without an
 * appointment, `values.code` not given, a clinic phone not set), when the patient is deleted or merged,
 * or when the rendered body is longer than the channel allows. The appointment must be the patient's.
 */
export async function renderTemplate(ctx: AppContext, input: RenderTemplateInput): Promise<RenderedMessage> {
  return renderMessage(ctx, input, { drafts: false });
}

/** Like `renderTemplate`, but `version` may name the draft: staff preview a draft before publishing it. */
export async function previewTemplate(ctx: AppContext, input: RenderTemplateInput): Promise<RenderedMessage> {
  return renderMessage(ctx, input, { drafts: true });
}

async function renderMessage(ctx: AppContext, input: RenderTemplateInput, options: { drafts: boolean }): Promise<RenderedMessage> {
  const { locale: requested } = checkedInput(input);
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.tenant.id });
  // With a patient named, another patient's appointment is not found (the appointments module's guard).
  const appointment: Appointment | undefined = input.appointmentId ? await requireAppointment(ctx, input.appointmentId, input.patientId) : undefined;
  const patientId = input.patientId ?? appointment?.patientId;
  const patient: Patient | undefined = patientId ? await messagePatient(ctx, patientId) : undefined;
  const preferred = requested ?? (patient?.preferredLanguage ? canonicalLocale(patient.preferredLanguage) : undefined);
  const locales = localeFallbacks(preferred, clinicLocale(tenant));
  const { template, version } = await chooseVersion(ctx, { name: input.name, channel: input.channel, locales, version: input.version, drafts: options.drafts });

  const checked = checkedForRendering({ template, version });
  const context = await buildContext(ctx, { patient, appointment, clinic: clinicFromTenant(tenant), locale: template.locale, values: input.values });
  return renderChosen({ template, version }, checked, context, { patient: patient !== undefined, appointment: appointment !== undefined });
}

/**
 * A version's texts, parsed, ready to render; refused with 422 when the version cannot be rendered
 * (a published one always can; a draft may lack its Content SID, which a preview does not need).
 */
export function checkedForRendering({ template, version }: Chosen): CheckedVersion {
  const checked = checkVersion(template.channel, version);
  const blocking = version.status === 'draft' ? checked.issues.filter((issue) => issue.path !== 'contentSid') : checked.issues;
  if (blocking.length > 0) throw refuse(`Version ${version.version} cannot be rendered`, blocking, { version: version.version });
  return checked;
}

/**
 * Renders a chosen version with a context, in memory: refused with 422 naming each variable the
 * version uses that has no value in the context, and when the body is longer than the channel allows.
 * `given` says what the context was built from, for the refusal's advice.
 */
export async function renderChosen(
  { template, version }: Chosen,
  checked: CheckedVersion,
  context: KnownValues,
  given: { patient: boolean; appointment: boolean },
): Promise<RenderedMessage> {
  const missing = checked.variables.filter((variable) => !hasValue(context, variable));
  if (missing.length > 0) {
    throw refuse(
      `The template uses ${missing.join(', ')}, which ${missing.length === 1 ? 'has' : 'have'} no value here`,
      missing.map((variable) => ({ path: variable, message: missingReason(variable, given) })),
      { missing },
    );
  }

  const body = await renderOrRefuse(checked.body, context, 'body');
  const limit = bodyLimits[template.channel];
  if (body.length > limit) {
    throw refuse('The rendered message is too long', [{ path: 'body', message: `${body.length} characters; ${template.channel} allows ${limit}` }]);
  }
  // A subject is one header line: line breaks a value brings in become spaces.
  const subject = checked.subject ? (await renderOrRefuse(checked.subject, context, 'subject')).replace(/\s*[\r\n]+\s*/g, ' ').trim() : undefined;
  const contentVariables: Record<string, string> = {};
  for (const [placeholder, parsed] of checked.contentVariables) {
    const text = await renderOrRefuse(parsed, context, `contentVariables.${placeholder}`);
    // WhatsApp refuses a template message with an empty parameter.
    if (text.trim() === '') throw refuse('The template could not be rendered', [{ path: `contentVariables.${placeholder}`, message: 'renders empty; WhatsApp refuses an empty placeholder' }]);
    contentVariables[placeholder] = text;
  }
  return {
    templateId: template.id,
    versionId: version.id,
    version: version.version,
    name: template.name,
    channel: template.channel,
    locale: template.locale,
    body,
    ...(subject !== undefined ? { subject } : {}),
    ...(version.contentSid ? { contentSid: version.contentSid, contentVariables } : {}),
  };
}
