import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { Location, Practitioner, type Appointment } from '../appointments/entities.js';
import { clinicFromTenant, clinicLocale } from '../conversations/clinic.js';
import type { Patient } from '../patients/entities.js';
import { Tenant } from '../tenancy/entities.js';
import type { CheckedVersion } from './check.js';
import { contextFor } from './context.js';
import { MessageTemplate, MessageTemplateVersion, type TemplateChannel } from './entities.js';
import { canonicalLocale, localeFallbacks } from './locale.js';
import { checkedForRendering, checkedInput, renderChosen, type Chosen } from './render.js';
import type { RenderedMessage } from './schema.js';

/** One message to render: an active patient, and the appointment it is about (the patient's), if any. */
export type RenderRecipient = { patient: Patient; appointment?: Appointment };
/** Each recipient's message, or why it has none (a 422 or 404 `AppError`, as `renderTemplate` would throw it). */
export type RenderOutcome = { ok: true; message: RenderedMessage } | { ok: false; error: AppError };

export type RenderManyInput = {
  name: string;
  channel: TemplateChannel;
  /** As in `renderTemplate`: the language wanted, else each patient's preferred one; then the clinic's default. */
  locale?: string;
  version?: number;
  values?: Record<string, string>;
  recipients: readonly RenderRecipient[];
};

/** The published version to send of each of the template's locales: `version` if given, else the latest. */
async function publishedByLocale(ctx: AppContext, input: RenderManyInput): Promise<Map<string, Chosen>> {
  const templates = await ctx.em.find(MessageTemplate, { name: input.name, channel: input.channel });
  const versions = templates.length === 0 ? [] : await ctx.em.find(
    MessageTemplateVersion,
    { templateId: { $in: templates.map((template) => template.id) }, status: 'published', ...(input.version !== undefined ? { version: input.version } : {}) },
    { orderBy: [{ version: 'desc' }] },
  );
  const chosen = new Map<string, Chosen>();
  for (const template of templates) {
    const version = versions.find((candidate) => candidate.templateId === template.id);
    if (version) chosen.set(template.locale, { template, version });
  }
  return chosen;
}

const noTemplate = (input: RenderManyInput, locales: string[]) =>
  new AppError('not_found', `No ${input.channel} template "${input.name}" with ${input.version !== undefined ? `version ${input.version} published` : 'a published version'} in ${locales.join(', ')}.`, {
    issues: [{ path: 'template.name', message: 'no published template by this name on this channel' }],
    details: { localesTried: locales },
  });

/**
 * Renders one template for many patients, as `renderTemplate` renders it for one, with one read of
 * each kind for all of them (the clinic, the template's versions, the appointments' practitioners and
 * locations) and each message rendered in memory. What concerns the whole call is thrown: a bad
 * locale or value name (400), no published version of the template in any locale (404). What
 * concerns one patient is that patient's outcome: a variable without a value for them, no version in
 * their language's chain, a message too long once rendered (422, or 404 for the language).
 */
export async function renderTemplateForEach(ctx: AppContext, input: RenderManyInput): Promise<RenderOutcome[]> {
  const { locale: requested } = checkedInput(input);
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.tenant.id });
  const clinic = clinicFromTenant(tenant);
  const byLocale = await publishedByLocale(ctx, input);
  if (byLocale.size === 0) throw noTemplate(input, localeFallbacks(requested, clinicLocale(tenant)));

  const appointments = input.recipients.flatMap((recipient) => (recipient.appointment ? [recipient.appointment] : []));
  const [practitioners, locations] = appointments.length === 0 ? [new Map(), new Map()] : await Promise.all([
    ctx.em.find(Practitioner, { id: { $in: [...new Set(appointments.map((appointment) => appointment.practitionerId))] } }).then((rows) => new Map(rows.map((row) => [row.id, row]))),
    ctx.em.find(Location, { id: { $in: [...new Set(appointments.map((appointment) => appointment.locationId))] } }).then((rows) => new Map(rows.map((row) => [row.id, row]))),
  ]);
  const checkedByVersion = new Map<string, CheckedVersion>();

  const outcomes: RenderOutcome[] = [];
  for (const { patient, appointment } of input.recipients) {
    try {
      const preferred = requested ?? (patient.preferredLanguage ? canonicalLocale(patient.preferredLanguage) : undefined);
      const locales = localeFallbacks(preferred, clinicLocale(tenant));
      const locale = locales.find((candidate) => byLocale.has(candidate));
      if (!locale) throw noTemplate(input, locales);
      const chosen = byLocale.get(locale) as Chosen;
      let checked = checkedByVersion.get(chosen.version.id);
      if (!checked) {
        checked = checkedForRendering(chosen);
        checkedByVersion.set(chosen.version.id, checked);
      }
      const practitioner = appointment && practitioners.get(appointment.practitionerId);
      const location = appointment && locations.get(appointment.locationId);
      if (appointment && (appointment.patientId !== patient.id || !practitioner || !location)) throw new AppError('not_found', `Appointment ${appointment.id} was not found.`);
      const about = appointment && practitioner && location ? { appointment, practitioner, location } : undefined;
      const context = contextFor({ patient, appointment: about, clinic, locale: chosen.template.locale, values: input.values });
      outcomes.push({ ok: true, message: await renderChosen(chosen, checked, context, { patient: true, appointment: about !== undefined }) });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      outcomes.push({ ok: false, error });
    }
  }
  return outcomes;
}
