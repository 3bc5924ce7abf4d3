import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createApp } from '../../src/app.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import type { Services, TenantInfo } from '../../src/context.js';
import { createOrm } from '../../src/db/orm.js';
import { DirectSql } from '../../src/db/sql.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { Role } from '../../src/modules/tenancy/entities.js';
import { createApiKey, createTenant, tenantInfo } from '../../src/modules/tenancy/service.js';
import { registry } from '../../src/tools/registry.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { JobWorker } from '../../src/jobs/worker.js';
import { TwilioGateway } from '../../src/channels/twilio/gateway.js';
import { EmailGateway } from '../../src/channels/email/gateway.js';
import { createMediaServices } from '../../src/modules/media/storage.js';
import type { AgentModel } from '../../src/agent/model.js';
import type { Embedder } from '../../src/modules/vector/embedder.js';
import { createEmbedder } from '../../src/modules/vector/local-embedder.js';
import { ApiKeys } from '../../src/modules/tenancy/api-keys.js';
import { TwilioNumbers } from '../../src/modules/conversations/twilio-numbers.js';
import { createRateLimits } from '../../src/http/rate-limits.js';

export type TestTenant = {
  tenant: TenantInfo;
  keys: Record<Role, string>;
  /** Calls the app as this tenant, with the admin key unless `key` is given. */
  request(method: string, path: string, options?: { body?: unknown; key?: string | null; headers?: Record<string, string> }): Promise<Response>;
  /** Like `request`, but expects a 2xx and returns the parsed JSON. */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
};

export type Harness = {
  services: Services;
  app: ReturnType<typeof createApp>;
  databaseKind: 'server' | 'embedded';
  newTenant(options?: { timeZone?: string; name?: string }): Promise<TestTenant>;
  close(): Promise<void>;
};

/**
 * The real app on the run's database (see global-setup), with helpers to make tenants and keys.
 * Outside vitest (a script), `databaseUrl` and `databaseKind` say which database that is.
 */
export async function createHarness(
  options: {
    clock?: Clock;
    agentModel?: AgentModel;
    embedder?: Embedder;
    config?: Record<string, string>;
    log?: Logger;
    databaseUrl?: string;
    databaseKind?: 'server' | 'embedded';
  } = {},
): Promise<Harness> {
  // The run's database (see global-setup), or one of the test's own (already migrated).
  const orm = await createOrm({ url: options.databaseUrl ?? inject('databaseUrl'), poolMax: 5 });
  // No model unless a test brings one (tests/support/embedding-model.ts): nothing is fetched from the hub.
  const config = loadConfig({ LOG_LEVEL: 'silent', PRM_EMBEDDING_MODEL_PATH: join(tmpdir(), 'prm-tests-no-embedding-model'), ...options.config });
  const log = options.log ?? createLogger({ level: (process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent' });
  const databaseKind = options.databaseKind ?? (inject('databaseKind') === 'server' ? 'server' : 'embedded');
  const sql = new DirectSql(orm);
  const services: Services = {
    config,
    orm,
    sql,
    databaseKind,
    log,
    clock: options.clock ?? systemClock,
    registry,
    // Not started: tests run jobs with `services.jobs.drain()`, so they wait for nothing.
    jobs: new JobWorker(() => services, jobHandlers),
    twilio: new TwilioGateway(() => services),
    email: new EmailGateway(config.email),
    media: createMediaServices(config),
    agentModel: options.agentModel,
    embedder: options.embedder ?? createEmbedder(config, log),
    rateLimits: createRateLimits(config.rateLimits, log),
    apiKeys: new ApiKeys(sql),
    twilioNumbers: new TwilioNumbers(sql),
  };
  const app = createApp(services);

  async function newTenant(tenantOptions: { timeZone?: string; name?: string } = {}): Promise<TestTenant> {
    const em = orm.em.fork();
    const slug = `t-${randomUUID().slice(0, 12)}`;
    const tenant = await createTenant(em, { slug, name: tenantOptions.name ?? `Clinic ${slug}`, timeZone: tenantOptions.timeZone ?? 'America/New_York' });
    const keys = {} as Record<Role, string>;
    for (const role of ['admin', 'staff', 'agent'] as const) {
      keys[role] = (await createApiKey(em, { tenantId: tenant.id, name: `${role} key`, role })).key;
    }
    const request: TestTenant['request'] = (method, path, requestOptions = {}) => {
      const key = requestOptions.key === undefined ? keys.admin : requestOptions.key;
      const headers: Record<string, string> = { ...(requestOptions.headers ?? {}) };
      if (key !== null) headers.authorization = `Bearer ${key}`;
      if (requestOptions.body !== undefined) headers['content-type'] = 'application/json';
      const body = requestOptions.body === undefined ? undefined : typeof requestOptions.body === 'string' ? requestOptions.body : JSON.stringify(requestOptions.body);
      return Promise.resolve(app.request(path, { method, headers, body }));
    };
    const call: TestTenant['call'] = async (method, path, body) => {
      const response = await request(method, path, { body });
      const text = await response.text();
      if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
      return JSON.parse(text);
    };
    return { tenant: tenantInfo(tenant), keys, request, call };
  }

  const close = async () => {
    services.email.close();
    await orm.close();
  };
  return { services, app, databaseKind: services.databaseKind === 'server' ? 'server' : 'embedded', newTenant, close };
}
