import { createContext, type AppContext, type Caller, type Services, type TenantInfo } from '../../context.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { JourneyDefinition } from './definition.js';
import { JOURNEY_TOOLS } from './validate.js';

/**
 * A journey acting: actor kind `journey`, the role its definition names, and only the tools journeys
 * may call, so the runner checks, scopes and logs its calls like any other.
 */
export const journeyCaller = (tenant: TenantInfo, journeyId: string, definition: Pick<JourneyDefinition, 'role'>): Caller => ({
  tenant,
  actor: { kind: 'journey', id: journeyId, role: definition.role },
  channel: 'system',
  allowedTools: JOURNEY_TOOLS,
});

/** The journeys engine's own context in a job (its bookkeeping writes, not tool calls). */
export const engineContext = (services: Services, tenant: TenantInfo, em: EntityManager): AppContext =>
  createContext(services, { tenant, actor: { kind: 'system', id: 'journeys', role: 'system' }, channel: 'system' }, em);
