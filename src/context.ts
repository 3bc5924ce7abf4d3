import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { ormSql, type DirectSql, type Sql } from './db/sql.js';
import type { ApiKeys } from './modules/tenancy/api-keys.js';
import type { TwilioNumbers } from './modules/conversations/twilio-numbers.js';
import type { Logger } from './log.js';
import type { Role } from './modules/tenancy/entities.js';
import type { Registry } from './tools/runner.js';
import type { JobWorker } from './jobs/worker.js';
import type { TwilioGateway } from './channels/twilio/gateway.js';
import type { EmailGateway } from './channels/email/gateway.js';
import type { MediaServices } from './modules/media/storage.js';
import type { AgentModel } from './agent/model.js';
import type { Embedder } from './modules/vector/embedder.js';
import type { RateLimits } from './http/rate-limits.js';

/** Who is calling, by which door. */
export type ActorKind = 'staff' | 'agent' | 'mcp' | 'patient' | 'n8n' | 'system' | 'journey';
export type Actor = { kind: ActorKind; id: string; role: Role | 'system' };

/** The door a call came in through. */
export type Channel = 'rest' | 'mcp' | 'fhir' | 'whatsapp' | 'sms' | 'voice' | 'chat' | 'email' | 'n8n' | 'cli' | 'system';

export type TenantInfo = { id: string; slug: string; name: string; timeZone: string; defaultCountry: string };

/**
 * The patient a conversation is about. Patient-scoped operations take their patient from here,
 * never from the caller's input; PHI operations need `verified`.
 */
export type Subject = { patientId: string | null; verified: boolean };

/** What a call carries before it reaches the runner. */
export type Caller = {
  tenant: TenantInfo;
  actor: Actor;
  channel: Channel;
  conversationId?: string;
  subject?: Subject;
  requestId?: string;
  /** The only operations this caller may run, whatever its role allows (an n8n endpoint's list). */
  allowedTools?: readonly string[];
};

/** Process-wide services, built once at start. */
export type Services = {
  config: Config;
  orm: MikroORM;
  /** The SQL every message runs, prepared, on the ORM's connections (src/db/sql.ts). */
  sql: DirectSql;
  /** Where the data lives: a server, or the embedded database (opened here or shared from another process). */
  databaseKind: 'server' | 'embedded' | 'embedded-shared';
  log: Logger;
  clock: Clock;
  registry: Registry;
  /** Runs jobs after commits; nudge it after committing work that enqueued jobs. */
  jobs: JobWorker;
  /** Sends WhatsApp and SMS through each tenant's Twilio account. */
  twilio: TwilioGateway;
  /** Sends email through the SMTP server of SMTP_URL; `configured` is false without it. */
  email: EmailGateway;
  /** Where uploaded files are stored (local disk or S3) and the key their links are signed with. */
  media: MediaServices;
  /** The language model of the patient-facing agent; undefined means guided mode only. */
  agentModel: AgentModel | undefined;
  /** The local embedding model for semantic search, loaded on first use. */
  embedder: Embedder;
  /** Request limits per API key and per client address, counted in this process. */
  rateLimits: RateLimits;
  /** Live API keys, each looked up at most once per few seconds (src/modules/tenancy/api-keys.ts). */
  apiKeys: ApiKeys;
  /** The clinic of each Twilio number, looked up at most once per few seconds (src/modules/conversations/twilio-numbers.ts). */
  twilioNumbers: TwilioNumbers;
};

/** What an operation runs with: the caller plus its own unit of work. */
export type AppContext = Caller & {
  /** Forked for this call, tenant filter set; inside a write, the transaction's own manager. */
  readonly em: EntityManager;
  /** Statements of the typed store (src/db/sql.ts): in `em`'s transaction when it has one, else on a pooled connection. */
  readonly sql: Sql;
  readonly log: Logger;
  clock: Clock;
  services: Services;
};

/**
 * The context an operation or a job runs with, on `em` (already bound to the caller's tenant), or on
 * a manager made when first asked for (`() => EntityManager`): a read that runs only statements of the
 * typed store never forks one. The logger too is made when first used: a child logger per call was a
 * measurable share of a cheap read.
 */
export function createContext(services: Services, caller: Caller, em: EntityManager | (() => EntityManager), makeLog?: () => Logger): AppContext {
  return new CallContext(services, caller, em, makeLog);
}

class CallContext implements AppContext {
  readonly tenant: Caller['tenant'];
  readonly actor: Caller['actor'];
  readonly channel: Caller['channel'];
  readonly conversationId: Caller['conversationId'];
  readonly subject: Caller['subject'];
  readonly requestId: Caller['requestId'];
  readonly clock: Clock;
  #em: EntityManager | undefined;
  #log: Logger | undefined;

  constructor(
    readonly services: Services,
    caller: Caller,
    private readonly makeEm: EntityManager | (() => EntityManager),
    private readonly makeLog: (() => Logger) | undefined,
  ) {
    this.tenant = caller.tenant;
    this.actor = caller.actor;
    this.channel = caller.channel;
    this.conversationId = caller.conversationId;
    this.subject = caller.subject;
    this.requestId = caller.requestId;
    this.clock = services.clock;
    if (typeof makeEm !== 'function') this.#em = makeEm;
  }

  get em(): EntityManager {
    return (this.#em ??= (this.makeEm as () => EntityManager)());
  }

  get sql(): Sql {
    return this.#em?.isInTransaction() ? ormSql(this.#em) : this.services.sql;
  }

  get log(): Logger {
    return (this.#log ??= this.makeLog ? this.makeLog() : this.services.log.child({ requestId: this.requestId, tenant: this.tenant.slug }));
  }
}
