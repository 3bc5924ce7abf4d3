import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Services } from '../context.js';
import { Tenant } from '../modules/tenancy/entities.js';
import { createApiKey, createTenant, ensureApiKey, tenantInfo } from '../modules/tenancy/service.js';
import { demoClinic, seedDemoData } from './seed.js';
import { SetTwilioAccountInput, upsertTwilioAccount } from '../modules/conversations/twilio-settings.js';

/**
 * The demo clinic, and how to reach it as admin. A key is shown once, when it is made
 * (`newAdminKey`); later starts say where it is kept (`adminKeyFile`). A key given by
 * PRM_ADMIN_API_KEY is never shown: whoever set it has it.
 */
export type DemoInfo = { tenantSlug: string; tenantName: string; newAdminKey?: string; adminKeyFile?: string };

const KEY_FILE = 'admin-api-key';

/**
 * The demo clinic: created and filled on first start (unless PRM_SEED_DEMO=false), with an admin key.
 * The key is PRM_ADMIN_API_KEY when set; otherwise one is made on first start and kept in
 * `<data dir>/admin-api-key` (readable only by this user) so every start can print it.
 */
export async function prepareDemo(services: Services): Promise<DemoInfo | undefined> {
  const em = services.orm.em.fork();
  let tenant = await em.findOne(Tenant, { slug: demoClinic.slug });
  if (!tenant && !services.config.seedDemo && !services.config.adminApiKey) return undefined;
  tenant ??= await createTenant(em, demoClinic);
  if (services.config.seedDemo && tenant.profile.demoSeededAt === undefined) {
    await seedDemoData(services, tenantInfo(tenant));
    tenant.profile = { ...tenant.profile, demoSeededAt: services.clock.now().toISOString() };
    await em.flush();
  }

  const info = { tenantSlug: tenant.slug, tenantName: tenant.name };
  const given = services.config.adminApiKey;
  if (given) await ensureApiKey(em, { tenantId: tenant.id, key: given, name: 'PRM_ADMIN_API_KEY', role: 'admin' });
  await ensureDemoTwilioAccount(services, tenant.id);
  return given ? info : { ...info, ...(await keptAdminKey(services, tenant.id)) };
}

/** The admin key kept in the data folder: made (and returned, to be shown once) when missing or no longer valid. */
async function keptAdminKey(services: Services, tenantId: string): Promise<{ adminKeyFile: string; newAdminKey?: string }> {
  const adminKeyFile = join(services.config.dataDir, KEY_FILE);
  const em = services.orm.em.fork();
  const kept = await readFile(adminKeyFile, 'utf8').then((text) => text.trim(), () => undefined);
  if (kept && (await services.apiKeys.find(kept))?.tenant.id === tenantId) return { adminKeyFile };
  const { key } = await createApiKey(em, { tenantId, name: 'demo admin (first start)', role: 'admin' });
  await mkdir(services.config.dataDir, { recursive: true });
  await writeFile(adminKeyFile, `${key}\n`, { mode: 0o600 });
  return { adminKeyFile, newAdminKey: key };
}

/** TWILIO_* in the environment are the demo clinic's Twilio account (checked like the API checks them). */
async function ensureDemoTwilioAccount(services: Services, tenantId: string): Promise<void> {
  const { accountSid, authToken, phoneNumber, whatsappNumber } = services.config.twilio;
  if (!accountSid || !authToken) {
    services.log.info('TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN are not set: messages are stored and shown as not delivered');
    return;
  }
  const parsed = SetTwilioAccountInput.safeParse({ accountSid, authToken, phoneNumber: phoneNumber ?? null, whatsappNumber: whatsappNumber ?? null });
  if (!parsed.success) throw new Error(`The TWILIO_* settings are invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  const em = services.orm.em.fork();
  await upsertTwilioAccount(em, tenantId, parsed.data);
  await em.flush();
  services.twilioNumbers.forget();
}
