import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { APP_DB_ROLE, ConfigError, deriveAppUrl, hashTagOf, loadConfig } from '@tasuki/platform';

/** Runs loadConfig and returns the ConfigError it throws (failing the test when it does not throw one). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** The variables the problems name (ConfigError.problems reads "VARIABLE: message"; one variable may fail twice). */
const named = (err: ConfigError) => [...new Set(err.problems.map((p) => p.split(':')[0]))];

const PRODUCTION_BASICS = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://tasuki@db.internal:5432/tasuki',
  REDIS_URL: 'redis://cache.internal:6379',
  JWT_SECRET: 'x'.repeat(48),
};

describe('loadConfig', () => {
  it('applies the defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.logLevel).toBe('info');
    expect(config.dataDir).toBe('.data');
    expect(config.database).toEqual({
      ownerUrl: undefined,
      appUrl: undefined,
      appPassword: undefined,
      poolSize: 10,
      runMigrations: true,
    });
    expect(config.redis).toEqual({ url: undefined, keyPrefix: '{tasuki}' });
    expect(config.jwt.secret).toBeUndefined();
    expect(config.oidc).toBeUndefined();
    expect(config.operator).toBeUndefined();
    expect(config.graphql.introspection).toBe(true);
    expect(config.graphql.sandbox).toBe(true);
    expect(config.reporting).toEqual({ exportTtlHours: 72 });
  });

  it('keeps an export downloadable from an hour to 90 days (EXPORT_TTL_HOURS)', () => {
    expect(loadConfig({ EXPORT_TTL_HOURS: '1' }).reporting.exportTtlHours).toBe(1);
    expect(loadConfig({ EXPORT_TTL_HOURS: '2160' }).reporting.exportTtlHours).toBe(2160);
    for (const bad of ['0', '2161', '1.5', 'soon']) {
      expect(() => loadConfig({ EXPORT_TTL_HOURS: bad })).toThrow(/EXPORT_TTL_HOURS/);
    }
  });

  it('turns introspection and the sandbox on outside production and off in production, unless set', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).graphql).toMatchObject({ introspection: true, sandbox: true });
    expect(loadConfig(PRODUCTION_BASICS).graphql).toMatchObject({ introspection: false, sandbox: false });

    expect(
      loadConfig({ ...PRODUCTION_BASICS, GRAPHQL_INTROSPECTION: 'true', GRAPHQL_SANDBOX: 'yes' }).graphql,
    ).toMatchObject({ introspection: true, sandbox: true });
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'false', GRAPHQL_SANDBOX: '0' }).graphql).toMatchObject({
      introspection: false,
      sandbox: false,
    });
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'off' }).graphql).toMatchObject({ introspection: false, sandbox: true });
  });

  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['DATABASE_APP_URL', { DATABASE_APP_URL: 'not a url' }],
    ['REDIS_URL', { REDIS_URL: 'http://cache:6379' }],
    ['JWT_SECRET', { JWT_SECRET: 'too-short' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['MIGRATIONS_RUN', { MIGRATIONS_RUN: 'maybe' }],
  ])('rejects a bad %s with a ConfigError naming it', (variable, env) => {
    const err = configError(env);
    expect(err.name).toBe('ConfigError');
    expect(err.message).toContain(variable);
    expect(named(err)).toEqual([variable]);
  });

  it('names both missing OIDC variables when only OIDC_ISSUER is set', () => {
    const err = configError({ OIDC_ISSUER: 'https://idp.example.jp' });
    expect(err.message).toContain('OIDC_AUDIENCE');
    expect(err.message).toContain('OIDC_JWKS_URL');
    expect(named(err).sort()).toEqual(['OIDC_AUDIENCE', 'OIDC_JWKS_URL']);
  });

  it('accepts a complete OIDC configuration', () => {
    const config = loadConfig({
      OIDC_ISSUER: 'https://idp.example.jp',
      OIDC_AUDIENCE: 'tasuki',
      OIDC_JWKS_URL: 'https://idp.example.jp/jwks.json',
    });
    expect(config.oidc).toEqual({
      issuer: 'https://idp.example.jp',
      audience: 'tasuki',
      jwksUrl: 'https://idp.example.jp/jwks.json',
    });
  });

  it('names OPERATOR_PASSWORD when OPERATOR_EMAIL is set without it (and the reverse)', () => {
    const err = configError({ OPERATOR_EMAIL: 'ops@example.jp' });
    expect(err.message).toContain('OPERATOR_PASSWORD');
    expect(named(err)).toEqual(['OPERATOR_PASSWORD']);

    expect(named(configError({ OPERATOR_PASSWORD: 'long enough password' }))).toEqual(['OPERATOR_EMAIL']);
    expect(
      loadConfig({ OPERATOR_EMAIL: 'ops@example.jp', OPERATOR_PASSWORD: 'long enough password' }).operator,
    ).toEqual({ email: 'ops@example.jp', password: 'long enough password' });
  });

  it('names DATABASE_URL, REDIS_URL and JWT_SECRET when production lacks all three', () => {
    const err = configError({ NODE_ENV: 'production' });
    for (const v of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET']) expect(err.message).toContain(v);
    expect(named(err).sort()).toEqual(['DATABASE_URL', 'JWT_SECRET', 'REDIS_URL']);
  });

  it('reads a Redis Cluster from REDIS_CLUSTER_NODES, whose key prefix must carry a hash tag', () => {
    const nodes = 'redis://:s3cret@10.0.0.1:6379, redis://:s3cret@10.0.0.2:6380';
    expect(loadConfig({ ...PRODUCTION_BASICS, REDIS_URL: '', REDIS_CLUSTER_NODES: nodes }).redis).toEqual({
      url: undefined,
      clusterNodes: ['redis://:s3cret@10.0.0.1:6379', 'redis://:s3cret@10.0.0.2:6380'],
      keyPrefix: '{tasuki}',
    });
    const untagged = configError({ REDIS_CLUSTER_NODES: nodes, REDIS_KEY_PREFIX: 'tasuki' });
    expect(named(untagged)).toEqual(['REDIS_KEY_PREFIX']);
    expect(untagged.message).toContain('"tasuki" has no hash tag: on a Redis Cluster (REDIS_CLUSTER_NODES)');
    expect(named(configError({ REDIS_CLUSTER_NODES: nodes, REDIS_KEY_PREFIX: '{}tasuki' }))).toEqual([
      'REDIS_KEY_PREFIX',
    ]);
    expect(loadConfig({ REDIS_CLUSTER_NODES: nodes, REDIS_KEY_PREFIX: 'app:{tasuki-prod}' }).redis.keyPrefix).toBe(
      'app:{tasuki-prod}',
    );
    // One server needs no tag.
    expect(loadConfig({ REDIS_KEY_PREFIX: 'tasuki' }).redis.keyPrefix).toBe('tasuki');

    expect(named(configError({ REDIS_CLUSTER_NODES: nodes, REDIS_URL: 'redis://cache:6379' }))).toEqual(['REDIS_URL']);
    expect(named(configError({ REDIS_CLUSTER_NODES: 'redis://a:1,http://b:2' }))).toEqual(['REDIS_CLUSTER_NODES']);
    expect(named(configError({ REDIS_CLUSTER_NODES: 'a b c' }))).toEqual(['REDIS_CLUSTER_NODES']);
    expect(named(configError({ REDIS_CLUSTER_NODES: 'redis://a:1,rediss://b:2' }))).toEqual(['REDIS_CLUSTER_NODES']);
  });

  it('finds the hash tag as Redis Cluster does: between the first { and the first } after it, not empty', () => {
    expect(hashTagOf('{tasuki}')).toBe('tasuki');
    expect(hashTagOf('a{b}c{d}')).toBe('b');
    expect(hashTagOf('}{x}')).toBe('x');
    expect(hashTagOf('{}x{y}')).toBeUndefined();
    expect(hashTagOf('tasuki{')).toBeUndefined();
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({
      NODE_ENV: '',
      PORT: '',
      LOG_LEVEL: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      JWT_SECRET: '',
      OIDC_ISSUER: '',
      OPERATOR_EMAIL: '',
      GRAPHQL_INTROSPECTION: '',
      MIGRATIONS_RUN: '',
    });
    expect(config.env).toBe('development');
    expect(config.port).toBe(3000);
    expect(config.logLevel).toBe('info');
    expect(config.database.ownerUrl).toBeUndefined();
    expect(config.database.runMigrations).toBe(true);
    expect(config.redis.url).toBeUndefined();
    expect(config.jwt.secret).toBeUndefined();
    expect(config.oidc).toBeUndefined();
    expect(config.operator).toBeUndefined();
    expect(config.graphql.introspection).toBe(true);

    // An empty required variable is still missing in production.
    const err = configError({ ...PRODUCTION_BASICS, DATABASE_URL: '', JWT_SECRET: undefined });
    expect(named(err).sort()).toEqual(['DATABASE_URL', 'JWT_SECRET']);
  });
});

describe('deriveAppUrl', () => {
  it('keeps host, port, database and options, and switches the user to tasuki_app', () => {
    const url = new URL(deriveAppUrl('postgres://postgres:owner-secret@db.example.jp:6543/tasuki_x?sslmode=require'));
    expect(APP_DB_ROLE).toBe('tasuki_app');
    expect(url.protocol).toBe('postgres:');
    expect(url.username).toBe('tasuki_app');
    expect(url.password).toBe('');
    expect(url.hostname).toBe('db.example.jp');
    expect(url.port).toBe('6543');
    expect(url.pathname).toBe('/tasuki_x');
    expect(url.searchParams.get('sslmode')).toBe('require');
  });

  it('sets the given password, encoded so that it reads back unchanged', () => {
    const password = 'p@ss w/rd:%';
    const url = new URL(deriveAppUrl('postgres://postgres@127.0.0.1:5432/tasuki', password));
    expect(url.username).toBe('tasuki_app');
    expect(decodeURIComponent(url.password)).toBe(password);
    expect(url.host).toBe('127.0.0.1:5432');
    expect(url.pathname).toBe('/tasuki');
  });
});

describe('a service started with a bad environment', () => {
  it('exits with code 78 and names the bad variable on stderr', async () => {
    const main = resolve(process.cwd(), 'dist/apps/api/src/main.js');
    const child = spawn(process.execPath, [main], {
      env: { PATH: process.env.PATH, PORT: 'notaport' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15_000,
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) =>
      child.once('close', (c, s) => done([c, s])),
    );
    expect({ code, signal }).toEqual({ code: 78, signal: null });
    expect(stderr).toMatch(/^Tasuki api: Invalid environment: .*PORT/m);
    expect(stdout).toBe('');
  });
});
