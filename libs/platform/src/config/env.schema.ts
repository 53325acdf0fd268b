import { z } from 'zod';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes', 'on'].includes(v)));

const optionalBool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .optional()
  .transform((v) => (v === undefined ? undefined : ['true', '1', 'yes', 'on'].includes(v)));

const int = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);

const postgresUrl = z
  .string()
  .url()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL');
const redisUrl = z
  .string()
  .url()
  .refine((v) => /^rediss?:\/\//.test(v), 'must be a redis:// or rediss:// URL');

/**
 * The one schema for every environment variable the apps read. `.env.example` documents each; keep them in step.
 * Variables left empty are treated as unset.
 */
const envObject = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(3000, 0, 65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('.data'),

  DATABASE_URL: postgresUrl.optional(),
  DATABASE_APP_URL: postgresUrl.optional(),
  DATABASE_APP_PASSWORD: z.string().min(1).optional(),
  DATABASE_POOL_SIZE: int(10, 1, 200),
  MIGRATIONS_RUN: bool(true),

  REDIS_URL: redisUrl.optional(),
  REDIS_CLUSTER_NODES: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    )
    .refine(
      (nodes) => nodes.length > 0 && nodes.every((n) => redisUrl.safeParse(n).success),
      "must be comma-separated redis:// or rediss:// URLs of the cluster's nodes",
    )
    .optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:{}-]+$/, 'letters, digits and _ : { } - only')
    .default('{tasuki}'),

  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_ISSUER: z.string().min(1).default('tasuki'),
  JWT_AUDIENCE: z.string().min(1).default('tasuki-api'),
  JWT_TTL_SECONDS: int(8 * 3600, 60, 30 * 24 * 3600),

  OIDC_ISSUER: z.string().url().optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  OIDC_JWKS_URL: z.string().url().optional(),

  OPERATOR_EMAIL: z.string().email().optional(),
  OPERATOR_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),

  GRAPHQL_INTROSPECTION: optionalBool,
  GRAPHQL_SANDBOX: optionalBool,
  GRAPHQL_MAX_DEPTH: int(12, 2, 100),
  GRAPHQL_MAX_ALIASES: int(20, 1, 1000),
  GRAPHQL_MAX_COST: int(5000, 10, 1_000_000),
  GRAPHQL_MAX_TOKENS: int(3000, 50, 100_000),
  WORKER_CONCURRENCY: int(8, 1, 200),
  REMINDER_SWEEP_SECONDS: int(60, 1, 3600),
  JOB_LOCK_MS: int(30_000, 1000, 600_000),
  OUTBOX_POLL_MS: int(500, 50, 60_000),
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ADMIN_SESSION_TTL_SECONDS: int(900, 60, 8 * 3600),
  WEBHOOK_TIMEOUT_MS: int(10_000, 100, 60_000),
  WEBHOOK_ATTEMPTS: int(10, 1, 30),
  WEBHOOK_BACKOFF_MS: int(30_000, 10, 3_600_000),
  EXPORT_TTL_HOURS: int(72, 1, 90 * 24),
  RATE_LIMIT_ENABLED: bool(true),
  RATE_LIMIT_WINDOW_SECONDS: int(60, 1, 3600),
  RATE_LIMIT_PER_IP: int(600, 1, 1_000_000),
  RATE_LIMIT_PER_USER: int(300, 1, 1_000_000),
  RATE_LIMIT_SIGNIN_PER_IP: int(10, 1, 100_000),
  SIGNIN_LOCKOUT_FAILURES: int(5, 1, 1000),
  SIGNIN_LOCKOUT_IP_FAILURES: int(20, 1, 100_000),
  SIGNIN_LOCKOUT_SECONDS: int(900, 1, 86_400),
  HTTP_BODY_LIMIT: z
    .string()
    .regex(/^\d+(kb|mb)$/, 'e.g. 100kb or 1mb')
    .default('100kb'),
});

/** The names of every variable the apps read. */
export const ENV_VARIABLES = Object.keys(envObject.shape);

export const envSchema = envObject.superRefine((env, ctx) => {
  const oidc = [env.OIDC_ISSUER, env.OIDC_AUDIENCE, env.OIDC_JWKS_URL];
  if (oidc.some(Boolean) && !oidc.every(Boolean)) {
    for (const key of ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL'] as const) {
      if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required when any OIDC_* is set' });
    }
  }
  if (Boolean(env.OPERATOR_EMAIL) !== Boolean(env.OPERATOR_PASSWORD)) {
    const key = env.OPERATOR_EMAIL ? 'OPERATOR_PASSWORD' : 'OPERATOR_EMAIL';
    ctx.addIssue({ code: 'custom', path: [key], message: 'OPERATOR_EMAIL and OPERATOR_PASSWORD go together' });
  }
  if (env.REDIS_CLUSTER_NODES) {
    if (env.REDIS_URL) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'set REDIS_URL or REDIS_CLUSTER_NODES, not both' });
    }
    if (!hashTagOf(env.REDIS_KEY_PREFIX)) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_KEY_PREFIX'],
        message:
          `"${env.REDIS_KEY_PREFIX}" has no hash tag: on a Redis Cluster (REDIS_CLUSTER_NODES) it must contain one, ` +
          "e.g. {tasuki}, so that every key of a queue lives in one slot as BullMQ's scripts need",
      });
    }
    const access = new Set(env.REDIS_CLUSTER_NODES.map((n) => redisAccessOf(n)));
    if (access.size > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_CLUSTER_NODES'],
        message: 'every node must have the same scheme, user and password (they apply to the whole cluster)',
      });
    }
  }
  if (env.NODE_ENV === 'production') {
    for (const key of ['DATABASE_URL', 'JWT_SECRET'] as const) {
      if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required in production' });
    }
    if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'required in production (or REDIS_CLUSTER_NODES)' });
    }
  }
});

/**
 * The hash tag of a key (or key prefix) as Redis Cluster reads it: the text between the first `{` and the first
 * `}` after it, when that text is not empty. Keys with the same tag share a slot.
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/** Scheme, user and password of a node URL: what a cluster's connections share. */
const redisAccessOf = (url: string) => {
  if (!URL.canParse(url)) return url; // refused by the field's own check
  const u = new URL(url);
  return `${u.protocol}//${u.username}:${u.password}`;
};

export type Env = z.output<typeof envSchema>;
