import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  familyNameOf,
  gql,
  prng,
  seedLoadActors,
  type LoadActor,
  outlastClientKeepAlive,
} from '../harness/load-driver.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';

const POOL = 2;
const ORGS = 20;
const REQUESTS = 400;
const CONCURRENCY = 12;

const CASES = `query { cases(first: 50) { nodes { id client { familyName } } } }`;
const CASE = `query($id: ID!) { case(id: $id) { id client { familyName } timeline(first: 20) { nodes { summary } } } }`;
const ADD_ENTRY = `mutation($input: AddTimelineEntryInput!) { addTimelineEntry(input: $input) { id } }`;

/** How a write is made to fail after its tenant context is set (a trigger behind the service reads the summary). */
const FAULTS = ['CONSTRAINT', 'TIMEOUT', 'TERMINATE', 'ABORT'] as const;

/**
 * The pool-leak race (issue 8): twenty organizations interleaved on a pool of two connections, with some writes
 * failing midway through their transaction — a constraint violation, a statement timeout, the connection terminated
 * under it, the client giving up on the request. The tenant context is transaction-local (set_config(..., true)),
 * so no connection may carry one organization into another's request: every client name an answer holds must be its
 * reader's organization's. And the pool does not leak: afterwards it still serves every organization, holding no
 * more connections than its size.
 */
describe('pool-leak race', () => {
  let api: TestApi;
  let actors: LoadActor[];

  beforeAll(async () => {
    api = await startTestApi({ DATABASE_POOL_SIZE: String(POOL) });
    outlastClientKeepAlive(api.app.getHttpServer());
    actors = await seedLoadActors(api.url, api.db.owner, async (id) => (await api.tokens.issue(id)).token, {
      orgs: ORGS,
      casesPerActor: 1,
    });
    // Faults injected behind the service, inside the write's transaction, after set_config has run.
    await api.db.owner.query(`CREATE FUNCTION inject_fault() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      BEGIN
        IF NEW.summary LIKE 'FAULT-CONSTRAINT%' THEN
          RAISE EXCEPTION 'injected constraint violation' USING ERRCODE = '23514';
        ELSIF NEW.summary LIKE 'FAULT-TIMEOUT%' THEN PERFORM pg_sleep(3);
        ELSIF NEW.summary LIKE 'FAULT-TERMINATE%' THEN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(1);
        ELSIF NEW.summary LIKE 'FAULT-ABORT%' THEN PERFORM pg_sleep(0.3);
        END IF;
        RETURN NEW;
      END $$`);
    await api.db.owner.query(
      `CREATE TRIGGER inject_fault BEFORE INSERT ON timeline_entries FOR EACH ROW EXECUTE FUNCTION inject_fault()`,
    );
    // A statement timeout for the application role in this database only; the pool's open connections are closed
    // so that the next ones get it.
    await api.db.owner.query(
      `ALTER ROLE tasuki_app IN DATABASE ${pg.escapeIdentifier(api.db.name)} SET statement_timeout = '1500ms'`,
    );
    await api.db.owner.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND usename = 'tasuki_app'`,
      [api.db.name],
    );
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  const appConnections = async () => {
    const { rows } = await api.db.owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND usename = 'tasuki_app'`,
      [api.db.name],
    );
    return rows[0]!.n;
  };

  it(`shows no organization's row to another across ${REQUESTS} requests of ${ORGS} organizations on a pool of ${POOL}, with writes failing midway, and leaks no connection`, async () => {
    const random = prng(42);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const foreign: string[] = [];
    const outcomes: Record<string, number> = {};
    const count = (k: string) => (outcomes[k] = (outcomes[k] ?? 0) + 1);
    const check = (actor: LoadActor, names: (string | undefined)[]) => {
      for (const n of names) if (n !== familyNameOf(actor.orgKey)) foreign.push(`${actor.name} saw ${n}`);
    };
    let sent = 0;
    const faultsSent: Record<string, number> = {};

    const worker = async () => {
      while (sent++ < REQUESTS) {
        const actor = pick(actors);
        const r = random();
        if (r < 0.4) {
          const d = await gql(api.url, CASES, {}, actor);
          count(d.errors ? `cases ${d.errors[0]!.extensions?.code}` : 'cases ok');
          check(actor, d.data?.cases.nodes.map((n: { client: { familyName: string } }) => n.client.familyName) ?? []);
        } else if (r < 0.7) {
          const d = await gql(api.url, CASE, { id: pick(actor.caseIds) }, actor);
          count(d.errors ? `case ${d.errors[0]!.extensions?.code}` : 'case ok');
          if (d.data) check(actor, [d.data.case?.client.familyName]);
        } else if (r < 0.85) {
          const input = { caseId: pick(actor.caseIds), kind: 'NOTE', summary: `${actor.orgKey} ok ${sent}` };
          const d = await gql(api.url, ADD_ENTRY, { input }, actor);
          count(d.errors ? `write ${d.errors[0]!.extensions?.code}` : 'write ok');
        } else {
          const fault = pick(FAULTS);
          faultsSent[fault] = (faultsSent[fault] ?? 0) + 1;
          const input = {
            caseId: pick(actor.caseIds),
            kind: 'NOTE',
            summary: `FAULT-${fault} ${actor.orgKey} ${sent}`,
          };
          // The client gives up before the server has answered (the server's transaction goes on without it).
          const signal = fault === 'ABORT' ? AbortSignal.timeout(100) : AbortSignal.timeout(30_000);
          try {
            const d = await gql(api.url, ADD_ENTRY, { input }, actor, { signal });
            count(`${fault} ${d.errors ? d.errors[0]!.extensions?.code : 'ok'}`);
          } catch (err) {
            count(`${fault} ${(err as Error).name}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    console.log(
      `pool-leak race: ${REQUESTS} requests, ${ORGS} organizations, pool ${POOL}, ${CONCURRENCY} concurrent; ` +
        `faults ${JSON.stringify(faultsSent)}; outcomes ${JSON.stringify(outcomes)}`,
    );

    expect(foreign).toEqual([]);
    // Every read and every ordinary write succeeded; each fault failed its own request only.
    expect(Object.keys(outcomes).filter((k) => /^(cases|case|write) /.test(k) && !k.endsWith(' ok'))).toEqual([]);
    for (const f of ['CONSTRAINT', 'TIMEOUT', 'TERMINATE'] as const) {
      if (faultsSent[f]) expect(outcomes[`${f} ok`]).toBeUndefined();
    }
    // Writes landed in their author's organization only; a failed one left nothing.
    const { rows } = await api.db.owner.query<{ summary: string; org_id: string }>(
      `SELECT summary, org_id::text FROM timeline_entries WHERE summary LIKE '% ok %' OR summary LIKE 'FAULT-%'`,
    );
    const orgOf = new Map(actors.map((a) => [a.orgKey, a.orgId]));
    for (const row of rows) {
      expect(row.summary).not.toMatch(/^FAULT-(CONSTRAINT|TIMEOUT|TERMINATE)/);
      const key = row.summary.replace(/^FAULT-ABORT /, '').split(' ')[0]!;
      expect(row.org_id).toBe(orgOf.get(key));
    }
    expect(rows.filter((r) => !r.summary.startsWith('FAULT-')).length).toBe(outcomes['write ok'] ?? 0);

    // No leak: the pool holds no more than its size, and still serves every organization (their own rows only).
    expect(await appConnections()).toBeLessThanOrEqual(POOL);
    for (const actor of actors) {
      const d = await gql(api.url, CASES, {}, actor);
      expect(d.errors).toBeUndefined();
      check(
        actor,
        d.data!.cases.nodes.map((n: { client: { familyName: string } }) => n.client.familyName),
      );
    }
    expect(foreign).toEqual([]);
    expect(await appConnections()).toBeLessThanOrEqual(POOL);
  }, 180_000);
});
