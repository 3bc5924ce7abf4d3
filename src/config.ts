import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';

/** Empty strings in the environment mean "not set". */
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/** One sender: `Name <address>`, `"Name, Dept." <address>` or a bare address (a bare comma would make two). */
const SENDER = /^(?:(?:"[^"]*"\s*|[^<>@,;"]*)<[^<>\s@,;]+@[^<>\s@,;]+>|[^<>\s@,;"]+@[^<>\s@,;"]+)$/;

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8007),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: optionalText.pipe(z.url().optional()),
  PRM_DATA_DIR: z.string().default('./data'),
  PRM_ADMIN_API_KEY: optionalText.pipe(z.string().min(24).optional()),
  PRM_API_KEY: optionalText,
  PRM_SEED_DEMO: z.enum(['true', 'false']).default('true'),
  PRM_DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(5),
  PRM_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(16),
  PRM_JOB_LOCK_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
  PRM_PROCESSES: z.coerce.number().int().min(1).max(16).default(Math.min(4, availableParallelism())),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUBLIC_BASE_URL: optionalText.pipe(z.url().optional()),
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: optionalText.pipe(z.url().optional()),
  PRM_MODEL: z.string().default('gpt-4o-mini'),
  PRM_MODEL_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(20_000),
  PRM_AGENT_MAX_STEPS: z.coerce.number().int().min(1).max(20).default(6),
  PRM_HISTORY_MESSAGES: z.coerce.number().int().min(1).max(200).default(20),
  PRM_VERIFICATION_HOURS: z.coerce.number().min(0.1).max(24 * 90).default(24),
  TWILIO_ACCOUNT_SID: optionalText,
  TWILIO_AUTH_TOKEN: optionalText,
  TWILIO_PHONE_NUMBER: optionalText,
  TWILIO_WHATSAPP_NUMBER: optionalText,
  TWILIO_API_BASE_URL: optionalText.pipe(z.url().optional()),
  PRM_EMBEDDING_MODEL: z.string().default('Xenova/all-MiniLM-L6-v2'),
  PRM_EMBEDDING_MODEL_PATH: optionalText,
  PRM_EMBEDDING_DTYPE: z.enum(['q8', 'fp32']).default('q8'),
  PRM_EMBEDDING_BATCH: z.coerce.number().int().min(1).max(256).default(32),
  PRM_EMBEDDING_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  PRM_CHUNK_TOKENS: z.coerce.number().int().min(16).max(512).default(128),
  PRM_CHUNK_OVERLAP: z.coerce.number().int().min(0).max(256).default(16),
  PRM_RATE_LIMIT_KEY_REQUESTS: z.coerce.number().int().min(1).default(1000),
  PRM_RATE_LIMIT_KEY_WRITES: z.coerce.number().int().min(1).default(300),
  PRM_RATE_LIMIT_ADDRESS_REQUESTS: z.coerce.number().int().min(1).default(200),
  PRM_RATE_LIMIT_ADDRESS_FAILURES: z.coerce.number().int().min(1).default(30),
  PRM_TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  PRM_WEBHOOK_ALLOWED_HOSTS: optionalText,
  PRM_MEDIA_MAX_BYTES: z.coerce.number().int().min(1).max(1024 * 1024 * 1024).default(25 * 1024 * 1024),
  PRM_MEDIA_URL_SECONDS: z.coerce.number().int().min(10).max(7 * 86_400).default(15 * 60),
  PRM_MEDIA_SIGNING_SECRET: optionalText.pipe(z.string().min(32, 'at least 32 characters').optional()),
  S3_BUCKET: optionalText,
  S3_ENDPOINT: optionalText.pipe(z.url().optional()),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: optionalText,
  S3_SECRET_ACCESS_KEY: optionalText,
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
  SMTP_URL: optionalText.pipe(z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional()),
  SMTP_FROM: optionalText.pipe(z.string().regex(SENDER, 'must be one address, "Name <address>" or "address"').optional()),
}).superRefine((env, context) => {
  // One without the other is a half-done setup: say so at start rather than at the first email.
  if ((env.SMTP_URL === undefined) !== (env.SMTP_FROM === undefined)) {
    context.addIssue({ code: 'custom', path: [env.SMTP_URL === undefined ? 'SMTP_URL' : 'SMTP_FROM'], message: 'SMTP_URL and SMTP_FROM are set together or not at all' });
  }
  if ((env.S3_ACCESS_KEY_ID === undefined) !== (env.S3_SECRET_ACCESS_KEY === undefined)) {
    context.addIssue({ code: 'custom', path: [env.S3_ACCESS_KEY_ID === undefined ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY'], message: 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are set together or not at all' });
  }
});

export type Config = {
  port: number;
  host: string;
  /** A PostgreSQL server; when absent the embedded database in `dataDir` is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  adminApiKey: string | undefined;
  /** The key the stdio MCP server acts with. */
  apiKey: string | undefined;
  seedDemo: boolean;
  poolMax: number;
  /** Jobs (turns, deliveries) one process runs at a time. */
  workerConcurrency: number;
  /** How long a process holds a job it runs: one that dies leaves its jobs to the others after this. */
  jobLockMs: number;
  /** Processes `serve` runs, each serving HTTP and jobs (one per core by default, at most 4). */
  processes: number;
  logLevel: z.infer<typeof ConfigSchema>['LOG_LEVEL'];
  publicBaseUrl: string | undefined;
  /** The language model; absent means guided mode only. */
  model: { apiKey: string | undefined; baseUrl: string | undefined; id: string; timeoutMs: number; maxSteps: number } | undefined;
  agent: { historyMessages: number; verificationHours: number };
  /** The demo tenant's Twilio settings, and where the Twilio client sends its requests. */
  twilio: {
    accountSid: string | undefined;
    authToken: string | undefined;
    phoneNumber: string | undefined;
    whatsappNumber: string | undefined;
    apiBaseUrl: string | undefined;
  };
  /**
   * The local embedding model: `modelId` from the hub (cached by the library), or from `modelPath`, a
   * folder in the library's layout (`<modelPath>/<modelId>/...`), with remote loading off.
   */
  embedding: {
    modelId: string;
    modelPath: string | undefined;
    dtype: 'q8' | 'fp32';
    batchSize: number;
    /** Inference threads; unset: the cores, shared among the serving processes of `serve`. */
    threads: number | undefined;
  };
  /** Chunk size and overlap, in the embedding model's tokens. */
  chunking: { tokens: number; overlap: number };
  /** Requests allowed per window, counted in each process (src/http/rate-limits.ts). */
  rateLimits: RateLimitSettings;
  /**
   * Proxies in front of the service that append to X-Forwarded-For: the client's address is that many
   * hops back. 0: the socket's peer is the client, and X-Forwarded-For is ignored.
   */
  trustedProxyHops: number;
  /**
   * Outgoing email: an SMTP server in nodemailer's URL form (`smtp://user:pass@host:587`, `smtps://…`;
   * its query may carry nodemailer options, e.g. `?requireTLS=true`) and the clinic's sender.
   * Absent: email is not configured.
   */
  email: { smtpUrl: string; from: string } | undefined;
  /**
   * Uploaded files (src/modules/media): the largest file taken, how long a signed download link lives,
   * the secret links and upload receipts are signed with (unset: a random one kept in `dataDir`), and
   * the S3-compatible bucket they are stored in (unset: the local disk, `dataDir/media`).
   */
  media: {
    maxBytes: number;
    urlSeconds: number;
    signingSecret: string | undefined;
    s3: S3Settings | undefined;
  };
  /** Webhook hosts allowed although they resolve to a loopback or private address (a local n8n), lower case. */
  webhooks: { allowedHosts: string[] };
};

export type S3Settings = {
  bucket: string;
  /** An S3-compatible server (MinIO, R2, …); unset: AWS. */
  endpoint: string | undefined;
  region: string;
  /** Unset: the AWS SDK's default chain (environment, instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  forcePathStyle: boolean;
};

export type RateLimitSettings = {
  /** Requests of one API key per 10 s. */
  keyRequests: number;
  /** Writes of one API key per 10 s: operations that are not read-only, `POST /agents/run`, MCP messages. */
  keyWrites: number;
  /** Requests without a key (health, docs, unknown routes) of one client address per 10 s. */
  addressRequests: number;
  /** Bad or missing keys and unverifiable Twilio webhooks of one client address per 60 s. */
  addressFailures: number;
};

/** Parses the environment once; nothing else in the code reads `process.env`. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid environment: ${problems.join('; ')}`);
  }
  const env = parsed.data;
  return {
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    dataDir: resolve(env.PRM_DATA_DIR),
    adminApiKey: env.PRM_ADMIN_API_KEY,
    apiKey: env.PRM_API_KEY,
    seedDemo: env.PRM_SEED_DEMO === 'true',
    poolMax: env.PRM_DB_POOL_MAX,
    workerConcurrency: env.PRM_WORKER_CONCURRENCY,
    jobLockMs: env.PRM_JOB_LOCK_SECONDS * 1000,
    processes: env.PRM_PROCESSES,
    logLevel: env.LOG_LEVEL,
    publicBaseUrl: env.PUBLIC_BASE_URL,
    // A base URL alone (a local Ollama, vLLM or LM Studio) is a configured model too: they need no key.
    model:
      env.OPENAI_API_KEY || env.OPENAI_BASE_URL
        ? { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL, id: env.PRM_MODEL, timeoutMs: env.PRM_MODEL_TIMEOUT_MS, maxSteps: env.PRM_AGENT_MAX_STEPS }
        : undefined,
    agent: { historyMessages: env.PRM_HISTORY_MESSAGES, verificationHours: env.PRM_VERIFICATION_HOURS },
    twilio: {
      accountSid: env.TWILIO_ACCOUNT_SID,
      authToken: env.TWILIO_AUTH_TOKEN,
      phoneNumber: env.TWILIO_PHONE_NUMBER,
      whatsappNumber: env.TWILIO_WHATSAPP_NUMBER,
      apiBaseUrl: env.TWILIO_API_BASE_URL,
    },
    embedding: {
      modelId: env.PRM_EMBEDDING_MODEL,
      modelPath: env.PRM_EMBEDDING_MODEL_PATH === undefined ? undefined : resolve(env.PRM_EMBEDDING_MODEL_PATH),
      dtype: env.PRM_EMBEDDING_DTYPE,
      batchSize: env.PRM_EMBEDDING_BATCH,
      threads: env.PRM_EMBEDDING_THREADS,
    },
    chunking: { tokens: env.PRM_CHUNK_TOKENS, overlap: Math.min(env.PRM_CHUNK_OVERLAP, Math.floor(env.PRM_CHUNK_TOKENS / 2)) },
    rateLimits: {
      keyRequests: env.PRM_RATE_LIMIT_KEY_REQUESTS,
      keyWrites: env.PRM_RATE_LIMIT_KEY_WRITES,
      addressRequests: env.PRM_RATE_LIMIT_ADDRESS_REQUESTS,
      addressFailures: env.PRM_RATE_LIMIT_ADDRESS_FAILURES,
    },
    trustedProxyHops: env.PRM_TRUSTED_PROXY_HOPS,
    email: env.SMTP_URL && env.SMTP_FROM ? { smtpUrl: env.SMTP_URL, from: env.SMTP_FROM } : undefined,
    media: {
      maxBytes: env.PRM_MEDIA_MAX_BYTES,
      urlSeconds: env.PRM_MEDIA_URL_SECONDS,
      signingSecret: env.PRM_MEDIA_SIGNING_SECRET,
      s3: env.S3_BUCKET
        ? {
            bucket: env.S3_BUCKET,
            endpoint: env.S3_ENDPOINT,
            region: env.S3_REGION,
            credentials: env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY ? { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY } : undefined,
            forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true',
          }
        : undefined,
    },
    webhooks: { allowedHosts: (env.PRM_WEBHOOK_ALLOWED_HOSTS ?? '').split(',').map((host) => host.trim().replace(/^\[|\]$/g, '').toLowerCase()).filter(Boolean) },
  };
}
