import type { Caller, Services, TenantInfo } from '../context.js';
import { runOperation } from '../tools/runner.js';

export const demoClinic = {
  slug: 'demo',
  name: 'Harbor Family Clinic',
  timeZone: 'America/New_York',
  defaultCountry: 'US',
  profile: {
    address: '120 Harbor Street, Brooklyn, NY 11201',
    phone: '+12125550100',
    hours: 'Monday to Friday 8:00-18:00, Saturday 9:00-13:00',
    policies: 'Please cancel at least 24 hours ahead. Bring your insurance card and a photo ID.',
  },
};

/**
 * Fills the demo clinic through the operations themselves, as the `system` actor. Each call carries
 * an idempotency key, so a seed cut short by a crash resumes where it stopped and never doubles.
 */
export async function seedDemoData(services: Services, tenant: TenantInfo): Promise<void> {
  const caller: Caller = { tenant, actor: { kind: 'system', id: 'seed', role: 'system' }, channel: 'cli' };
  const run = async (key: string, tool: string, input: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const outcome = await runOperation(services, caller, { tool, input, idempotencyKey: `demo-seed:${key}` });
    if (!outcome.ok) throw new Error(`Seeding ${tool} (${key}) failed: ${outcome.error.message}`);
    return outcome.output as Record<string, unknown>;
  };

  await run('ticket:1', 'create_ticket', { subject: 'Question about lab results', priority: 'normal', category: 'clinical' });
}
