import { DateTime } from 'luxon';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { invalid } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { QuietHoursSetting, ReminderSetting, SendRateSetting, type UpdateClinicProfileInput } from './schema.js';
import { Tenant } from '../tenancy/entities.js';

/** The clinic profile the agent speaks from (tenant.profile), with typed fields. */
export type ClinicProfile = {
  name: string;
  timeZone: string;
  address: string | null;
  phone: string | null;
  hours: string | null;
  policies: string | null;
  /** How a conversation proves who it is: the date of birth alone, or with the family name. */
  verification: 'date_of_birth' | 'date_of_birth_and_family_name';
  /** The language the clinic writes to patients in when nothing says otherwise (BCP 47; see clinicLocale). */
  locale: string;
  /**
   * The clinic's country (ISO 3166, "US"), for how its patients write dates (03/12 is 12 March or 3
   * December): the region of its language when that names one ("es-MX"), else its default phone
   * region, the country its patients' local numbers are read in. Not the time zone: a zone does not
   * name one country (America/Toronto and America/New_York write dates differently).
   */
  country: string;
};

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value : null);

export async function clinicProfile(em: EntityManager, tenantId: string): Promise<ClinicProfile> {
  return clinicFromTenant(await em.findOneOrFail(Tenant, { id: tenantId }));
}

/** The profile from a tenant's row (for callers that read the tenant with something else). */
export function clinicFromTenant(tenant: Pick<Tenant, 'name' | 'timeZone' | 'defaultCountry' | 'profile'>): ClinicProfile {
  const profile = tenant.profile;
  const locale = clinicLocale(tenant);
  return {
    name: tenant.name,
    timeZone: tenant.timeZone,
    address: text(profile.address),
    phone: text(profile.phone),
    hours: text(profile.hours),
    policies: text(profile.policies),
    verification: profile.verification === 'date_of_birth_and_family_name' ? 'date_of_birth_and_family_name' : 'date_of_birth',
    locale,
    country: localeRegion(locale) ?? tenant.defaultCountry,
  };
}

/** "MX" for "es-MX"; undefined for a language alone ("es") or a tag that does not parse. Remembered per tag: every turn asks. */
function localeRegion(locale: string): string | undefined {
  if (!regions.has(locale)) regions.set(locale, parsedRegion(locale));
  return regions.get(locale);
}
const regions = new Map<string, string | undefined>();

function parsedRegion(locale: string): string | undefined {
  try {
    return new Intl.Locale(locale).region;
  } catch {
    return undefined;
  }
}

/**
 * How the clinic paces the messages it starts (notifications): quiet hours, wall-clock "HH:MM" in its
 * time zone (crossing midnight when `end` is earlier), when nothing is sent; the most messages it
 * sends per second; and its appointment reminders. null: none.
 */
export type MessagingSettings = { quietHours: { start: string; end: string } | null; sendRatePerSecond: number | null; reminders: ReminderSetting | null };

/** The clinic's messaging settings from its profile; anything malformed there counts as not set. */
export function messagingSettings(tenant: Pick<Tenant, 'profile'>): MessagingSettings {
  const quietHours = QuietHoursSetting.safeParse(tenant.profile.quietHours);
  const sendRate = SendRateSetting.safeParse(tenant.profile.sendRatePerSecond);
  const reminders = ReminderSetting.safeParse(tenant.profile.reminders);
  return {
    quietHours: quietHours.success ? quietHours.data : null,
    sendRatePerSecond: sendRate.success ? sendRate.data : null,
    reminders: reminders.success ? reminders.data : null,
  };
}

/** The language the clinic writes to patients in when nothing says otherwise (a BCP 47 tag); English until set. */
export function clinicLocale(tenant: Pick<Tenant, 'profile'>): string {
  const locale = tenant.profile.locale;
  return typeof locale === 'string' && locale !== '' ? locale : 'en';
}

/** Name, address, hours, policies and the local time: what the agent tells patients about the clinic. */
export async function getClinicInfo(ctx: AppContext) {
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.tenant.id });
  const profile = clinicFromTenant(tenant);
  return {
    name: profile.name,
    timeZone: profile.timeZone,
    locale: clinicLocale(tenant),
    verification: profile.verification,
    localTime: DateTime.fromJSDate(ctx.clock.now(), { zone: profile.timeZone }).toISO({ suppressMilliseconds: true }) ?? '',
    address: profile.address,
    phone: profile.phone,
    hours: profile.hours,
    policies: profile.policies,
    ...messagingSettings(tenant),
  };
}

/** Changes the clinic's name and the profile the agent speaks from; only the fields given change. */
export async function updateClinicProfile(ctx: AppContext, input: z.output<typeof UpdateClinicProfileInput>) {
  const { name, ...profile } = input;
  if (name === undefined && Object.keys(profile).length === 0) throw invalid('Give at least one field to change.', [{ path: '(input)', message: 'no changes' }]);
  const tenant = await ctx.em.findOneOrFail(Tenant, { id: ctx.tenant.id });
  if (name !== undefined) tenant.name = name;
  tenant.profile = { ...tenant.profile, ...profile };
  tenant.updatedAt = ctx.clock.now();
  recordEvent(ctx, { type: 'clinic.profile_updated', entityType: 'tenant', entityId: tenant.id, payload: { fields: Object.keys(input) } });
  await ctx.em.flush();
  return getClinicInfo(ctx);
}
