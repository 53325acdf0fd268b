import { envSchema } from './env.schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Settled configuration: every value validated and every default applied. */
export interface AppConfig {
  env: 'development' | 'test' | 'production';
  host: string;
  port: number;
  logLevel: string;
  dataDir: string;
  database: {
    /** Owner role: runs migrations. Undefined until the infrastructure resolver fills it in. */
    ownerUrl?: string;
    /** Application role (tasuki_app): what the service connects as. */
    appUrl?: string;
    appPassword?: string;
    poolSize: number;
    runMigrations: boolean;
  };
  redis: RedisTarget & { keyPrefix: string };
  jwt: { secret?: string; issuer: string; audience: string; ttlSeconds: number };
  oidc?: { issuer: string; audience: string; jwksUrl: string };
  operator?: { email: string; password: string };
  graphql: {
    introspection: boolean;
    sandbox: boolean;
    maxDepth: number;
    maxAliases: number;
    maxCost: number;
    maxTokens: number;
  };
  http: { bodyLimit: string };
  /** Requests per window (fixed windows, counted in Redis so every API process shares them) and sign-in lockout. */
  rateLimit: {
    enabled: boolean;
    windowSeconds: number;
    perIp: number;
    perUser: number;
    signInPerIp: number;
    /** Failed sign-ins for one (normalized) e-mail, and from one IP, that lock sign-in for `lockoutSeconds`. */
    lockoutFailures: number;
    lockoutIpFailures: number;
    lockoutSeconds: number;
  };
  /** How long the queue dashboard's cookie (POST /admin/session) lasts. */
  adminSessionTtlSeconds: number;
  worker: {
    /** Jobs one worker process runs at once. */
    concurrency: number;
    /** How often the job scheduler sweeps due reminders. */
    sweepSeconds: number;
    /** How long a job's lock lasts without renewal: a killed worker's jobs run again after this. */
    lockMs: number;
    /** How often the relay looks for new outbox rows when the last pass found none. */
    outboxPollMs: number;
    /**
     * The worker's health endpoints (0: none). `explicit`: WORKER_HEALTH_PORT was set, so a port that cannot be
     * bound stops the worker; the default port, when taken (a second worker on one host), is skipped with a warning.
     */
    health: { port: number; explicit: boolean };
  };
  webhook: {
    /** How long one POST may take (connection, request and response headers) before the attempt fails. */
    timeoutMs: number;
    /** Attempts per delivery, the first included; after the last the delivery is FAILED. */
    attempts: number;
    /** The first retry's delay; each further retry waits twice as long as the one before. */
    backoffMs: number;
  };
  reporting: {
    /** How long an anonymized export can be downloaded after it is made; then its rows are purged. */
    exportTtlHours: number;
  };
}

/** Where Redis is: one server (REDIS_URL), or the seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES). */
export interface RedisTarget {
  url?: string;
  clusterNodes?: string[];
}

export const DEFAULT_WORKER_HEALTH_PORT = 3001;

/** Reads and validates the environment; throws a ConfigError naming each bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  const dev = e.NODE_ENV !== 'production';
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    database: {
      ownerUrl: e.DATABASE_URL,
      appUrl: e.DATABASE_APP_URL,
      appPassword: e.DATABASE_APP_PASSWORD,
      poolSize: e.DATABASE_POOL_SIZE,
      runMigrations: e.MIGRATIONS_RUN,
    },
    redis: { url: e.REDIS_URL, clusterNodes: e.REDIS_CLUSTER_NODES, keyPrefix: e.REDIS_KEY_PREFIX },
    jwt: { secret: e.JWT_SECRET, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, ttlSeconds: e.JWT_TTL_SECONDS },
    oidc:
      e.OIDC_ISSUER && e.OIDC_AUDIENCE && e.OIDC_JWKS_URL
        ? { issuer: e.OIDC_ISSUER, audience: e.OIDC_AUDIENCE, jwksUrl: e.OIDC_JWKS_URL }
        : undefined,
    operator:
      e.OPERATOR_EMAIL && e.OPERATOR_PASSWORD ? { email: e.OPERATOR_EMAIL, password: e.OPERATOR_PASSWORD } : undefined,
    graphql: {
      introspection: e.GRAPHQL_INTROSPECTION ?? dev,
      sandbox: e.GRAPHQL_SANDBOX ?? dev,
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxCost: e.GRAPHQL_MAX_COST,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
    },
    http: { bodyLimit: e.HTTP_BODY_LIMIT },
    rateLimit: {
      enabled: e.RATE_LIMIT_ENABLED,
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      perIp: e.RATE_LIMIT_PER_IP,
      perUser: e.RATE_LIMIT_PER_USER,
      signInPerIp: e.RATE_LIMIT_SIGNIN_PER_IP,
      lockoutFailures: e.SIGNIN_LOCKOUT_FAILURES,
      lockoutIpFailures: e.SIGNIN_LOCKOUT_IP_FAILURES,
      lockoutSeconds: e.SIGNIN_LOCKOUT_SECONDS,
    },
    adminSessionTtlSeconds: e.ADMIN_SESSION_TTL_SECONDS,
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      sweepSeconds: e.REMINDER_SWEEP_SECONDS,
      lockMs: e.JOB_LOCK_MS,
      outboxPollMs: e.OUTBOX_POLL_MS,
      health: {
        port: e.WORKER_HEALTH_PORT ?? DEFAULT_WORKER_HEALTH_PORT,
        explicit: e.WORKER_HEALTH_PORT !== undefined,
      },
    },
    webhook: { timeoutMs: e.WEBHOOK_TIMEOUT_MS, attempts: e.WEBHOOK_ATTEMPTS, backoffMs: e.WEBHOOK_BACKOFF_MS },
    reporting: { exportTtlHours: e.EXPORT_TTL_HOURS },
  };
}

/** Derives the application role's URL from the owner's: same host and database, role tasuki_app. */
export function deriveAppUrl(ownerUrl: string, password?: string): string {
  const u = new URL(ownerUrl);
  u.username = APP_DB_ROLE;
  u.password = password ? encodeURIComponent(password) : '';
  return u.toString();
}

export const APP_DB_ROLE = 'tasuki_app';
export const CONFIG = Symbol('TASUKI_CONFIG');
