import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { factories, PASSWORD } from '../harness/factories.js';
import { randomSuffix } from '../harness/postgres.js';
import { OwnRedis } from '../harness/redis-server.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';

/**
 * Rate limits and the sign-in lockout through the endpoint, with the real Redis (each API its own key prefix) and
 * small limits. Each test sends from a loopback address of its own (127.0.0.x), so the per-IP counters of one test do
 * not touch another's.
 */
const LIMITS = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_WINDOW_SECONDS: '60',
  RATE_LIMIT_PER_IP: '20',
  RATE_LIMIT_PER_USER: '5',
  RATE_LIMIT_SIGNIN_PER_IP: '8',
  SIGNIN_LOCKOUT_FAILURES: '3',
  SIGNIN_LOCKOUT_IP_FAILURES: '4',
  SIGNIN_LOCKOUT_SECONDS: '60',
};

interface Answer {
  status: number;
  retryAfterHeader: string | undefined;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string; retryAfter?: number } }[];
  };
}

let nextHost = 10;
/** A client address of its own for a test: 127.0.0.10, .11, … */
const freshIp = () => `127.0.0.${nextHost++}`;

/** POST /graphql from a given loopback address. */
function postFrom(api: TestApi, from: string, body: unknown, token?: string): Promise<Answer> {
  const url = new URL(`${api.url}/graphql`);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfterHeader: res.headers['retry-after'] as string | undefined,
            body: JSON.parse(text) as Answer['body'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const SIGN_IN = `mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { token } }`;
const signIn = (api: TestApi, from: string, email: string, password: string) =>
  postFrom(api, from, { query: SIGN_IN, variables: { email, password } });
const code = (a: Answer) => a.body.errors?.[0]?.extensions?.code;
/** What a refusal shows the caller, less the seconds left. */
const shape = (a: Answer) => ({ status: a.status, code: code(a), message: a.body.errors?.[0]?.message });

describe('rate limits and the sign-in lockout', () => {
  let api: TestApi;
  let f: ReturnType<typeof factories>;

  beforeAll(async () => {
    api = await startTestApi(LIMITS);
    f = factories(api.db.owner);
  });
  afterAll(() => api?.close());

  it('answers requests over the per-IP limit with HTTP 429, RATE_LIMITED and retryAfter, before running them', async () => {
    const ip = freshIp();
    for (let i = 0; i < 20; i++) {
      expect((await postFrom(api, ip, { query: '{ __typename }' })).status).toBe(200);
    }
    const org = await f.organization();
    const token = (await api.tokens.issue((await f.member(org.id, ['SUPPORTER'])).id)).token;
    const { rows: before } = await api.db.owner.query('SELECT count(*)::int AS n FROM clients');
    const refused = await postFrom(
      api,
      ip,
      {
        query: `mutation { registerClient(input: { familyName: "山田", givenName: "花子", birthDate: "1990-01-01", prefectureCode: "13" }) { id } }`,
      },
      token,
    );
    expect(refused.status).toBe(429);
    expect(code(refused)).toBe('RATE_LIMITED');
    expect(refused.body.errors![0]!.message).toMatch(/リクエストが多すぎます/);
    const retryAfter = refused.body.errors![0]!.extensions!.retryAfter!;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.retryAfterHeader).toBe(String(retryAfter));
    const { rows: after } = await api.db.owner.query('SELECT count(*)::int AS n FROM clients');
    expect(after).toEqual(before);
    // Another address is not limited.
    expect((await postFrom(api, freshIp(), { query: '{ __typename }' })).status).toBe(200);
  });

  it('limits each signed-in user across addresses, and no other user', async () => {
    const org = await f.organization();
    const [a, b] = await Promise.all([f.member(org.id, ['SUPPORTER']), f.member(org.id, ['SUPPORTER'])]);
    const [ta, tb] = [(await api.tokens.issue(a.id)).token, (await api.tokens.issue(b.id)).token];
    const me = { query: '{ me { user { id } } }' };
    for (let i = 0; i < 5; i++) expect((await postFrom(api, freshIp(), me, ta)).status).toBe(200);
    const refused = await postFrom(api, freshIp(), me, ta);
    expect(refused.status).toBe(429);
    expect(code(refused)).toBe('RATE_LIMITED');
    expect(refused.body.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
    expect(refused.retryAfterHeader).toBeDefined();
    expect((await postFrom(api, freshIp(), me, tb)).status).toBe(200);
  });

  it('is stricter on signIn: attempts per IP, even successful ones, and aliases count one each', async () => {
    const user = await f.user();
    const ip = freshIp();
    for (let i = 0; i < 8; i++) expect(code(await signIn(api, ip, user.email, PASSWORD))).toBeUndefined();
    const refused = await signIn(api, ip, user.email, PASSWORD);
    expect(shape(refused)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });

    // Ten attempts in one document count one each: the ninth is refused (and, signIn being non-null, the whole
    // answer is null and the tenth never runs).
    const many = Array.from(
      { length: 10 },
      (_, i) => `a${i}: signIn(email: "${user.email}", password: "${PASSWORD}") { token }`,
    );
    const batch = await postFrom(api, freshIp(), { query: `mutation { ${many.join(' ')} }` });
    expect(batch.body.errors?.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
    expect(batch.body.errors?.[0]).toMatchObject({ path: ['a8'] });
    expect(batch.status).toBe(429);
  });

  it('locks an address after failures on several e-mails', async () => {
    const user = await f.user();
    const ip = freshIp();
    for (let i = 0; i < 4; i++) {
      expect(code(await signIn(api, ip, `probe-${i}-${randomSuffix()}@example.jp`, 'x'))).toBe('UNAUTHENTICATED');
    }
    expect(code(await signIn(api, ip, user.email, PASSWORD))).toBe('RATE_LIMITED');
    expect(code(await signIn(api, freshIp(), user.email, PASSWORD))).toBeUndefined();
  });

  // The sign-in lockout.

  /** Three failures, then the right password: what the fourth attempt answers. */
  async function lockOut(email: string, password: string): Promise<Answer[]> {
    const ip = freshIp();
    const answers: Answer[] = [];
    for (let i = 0; i < 3; i++) answers.push(await signIn(api, ip, email, 'wrong password'));
    answers.push(await signIn(api, freshIp(), email, password));
    return answers;
  }

  it('locks an e-mail after repeated failures, refusing even the right password, and says the same for unknown e-mails', async () => {
    const known = await f.user();
    const unknown = `nobody-${randomSuffix()}@example.jp`;
    const k = await lockOut(known.email, PASSWORD);
    const u = await lockOut(unknown, PASSWORD);
    // The failures: the same answer for both.
    expect(k.slice(0, 3).map(shape)).toEqual(u.slice(0, 3).map(shape));
    expect(shape(k[0]!)).toEqual({ status: 200, code: 'UNAUTHENTICATED', message: expect.any(String) });
    // The lockout: the right password is refused, from another address too, and an unknown e-mail reads the same.
    expect(shape(k[3]!)).toEqual({ status: 429, code: 'RATE_LIMITED', message: expect.stringMatching(/サインイン/) });
    expect(shape(u[3]!)).toEqual(shape(k[3]!));
    // A differently spelled e-mail is the same account.
    expect(code(await signIn(api, freshIp(), ` ${known.email.toUpperCase()} `, PASSWORD))).toBe('RATE_LIMITED');

    // The lockout lasts SIGNIN_LOCKOUT_SECONDS from the first failure; then the right password works again. (Time
    // passes by shortening the counters' expiry in Redis.)
    expect(k[3]!.body.errors![0]!.extensions!.retryAfter).toBeLessThanOrEqual(60);
    const redis = new Redis(api.config.redis.url!);
    try {
      const keys = await redis.keys(`${api.config.redis.keyPrefix}:rl:signin:fail:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(await redis.pttl(key)).toBeGreaterThan(0);
        expect(await redis.pttl(key)).toBeLessThanOrEqual(60_000);
        await redis.pexpire(key, 1);
      }
    } finally {
      await redis.quit();
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(code(await signIn(api, freshIp(), known.email, PASSWORD))).toBeUndefined();
  });
});

describe('where the counters live', () => {
  it('keeps a lockout across API processes sharing Redis (a restart does not lift it)', async () => {
    const prefix = `{tasuki-test-rl-${randomSuffix()}}`;
    const first = await startTestApi({ ...LIMITS, REDIS_KEY_PREFIX: prefix });
    const email = `someone-${randomSuffix()}@example.jp`;
    const ip = freshIp();
    try {
      for (let i = 0; i < 3; i++) expect(code(await signIn(first, ip, email, 'x'))).toBe('UNAUTHENTICATED');
    } finally {
      await first.close();
    }
    const second = await startTestApi({ ...LIMITS, REDIS_KEY_PREFIX: prefix });
    try {
      expect(code(await signIn(second, freshIp(), email, 'x'))).toBe('RATE_LIMITED');
    } finally {
      await second.close();
    }
  });

  it('keeps serving when Redis is down, counting in the process instead (the lockout still holds)', async () => {
    const redis = await OwnRedis.start();
    const api = await startTestApi({ ...LIMITS, REDIS_URL: redis.url });
    try {
      await redis.kill();
      const org = await factories(api.db.owner).organization();
      const member = await factories(api.db.owner).member(org.id, ['SUPPORTER']);
      const token = (await api.tokens.issue(member.id)).token;
      const ok = await postFrom(api, freshIp(), { query: '{ me { user { id } } }' }, token);
      expect(ok.status).toBe(200);
      expect(ok.body.errors).toBeUndefined();
      const ip = freshIp();
      const email = `down-${randomSuffix()}@example.jp`;
      for (let i = 0; i < 3; i++) expect(code(await signIn(api, ip, email, 'x'))).toBe('UNAUTHENTICATED');
      expect(code(await signIn(api, ip, email, 'x'))).toBe('RATE_LIMITED');
    } finally {
      await api.close();
      await redis.stop();
    }
  });
});
