import type { DataSource, QueryRunner } from 'typeorm';
import { tenantSettingsSql, type TenantScope, type Tx } from './tenant-transaction.js';

/**
 * How many request transactions may hold a pool connection at once: half the pool. A query's resolver may still run
 * a unit of work in a transaction of its own (Database.run) while its request holds the shared one; with every
 * connection held by a request transaction, each waiting for a second connection, the pool would deadlock. With
 * half the pool at most held that way, a unit of work always finds a connection, finishes, and gives it back.
 */
export class RequestTransactionGate {
  private open = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async enter(): Promise<void> {
    if (this.open < this.limit) {
      this.open++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.open--;
  }
}

interface Deferred {
  items: unknown[];
  flush: (tx: Tx, items: unknown[]) => Promise<void>;
}

/**
 * One tenant transaction shared by every read of one GraphQL query request: the list and each DataLoader batch
 * run in it instead of opening a transaction each (BEGIN, set_config, work, COMMIT: four round trips per batch).
 * It opens on the first read, READ COMMITTED as every `Database.run` (each statement sees what was committed when it
 * began), and ends when the response is ready (`finish`): what the reads deferred — the audit of the personal fields
 * read — is written, then COMMIT. The response leaves only after that commit; if anything failed, the request's
 * answer is an error and no data (the read and its audit still succeed or fail together).
 *
 * Only for requests whose operation is a query: a mutation's work keeps its own transaction, so that a refused
 * mutation rolls back alone. A read that fails in SQL aborts the shared transaction: the later reads fail too and
 * the request answers an error, never data without its audit.
 */
export class RequestTransaction {
  private opened?: Promise<QueryRunner>;
  private failed: unknown = null;
  private finished = false;
  private readonly deferred = new Map<string, Deferred>();
  private scope: TenantScope | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly gate: RequestTransactionGate,
  ) {}

  /**
   * Acts as `scope` from here on: the settings of the opening statement, or, once open, a set_config of their own
   * (the request's principal is read as its user alone; its reads then act for the organization it picked).
   */
  async actAs(scope: TenantScope): Promise<void> {
    const previous = this.scope;
    this.scope = scope;
    if (!this.opened || !previous || tenantSettingsSql(previous) === tenantSettingsSql(scope)) return;
    await this.run((tx) => tx.query(tenantSettingsSql(scope)));
  }

  /** Runs `work` in the shared transaction (opening it on first use). */
  async run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.finished) throw new Error('RequestTransaction used after finish');
    const runner = await (this.opened ??= this.open());
    try {
      return await work(runner.manager);
    } catch (err) {
      // An application error (NOT_FOUND, FORBIDDEN…) leaves the transaction usable; a database error aborts it.
      if ((err as { driverError?: unknown }).driverError !== undefined) this.failed ??= err;
      throw err;
    }
  }

  /**
   * Work to do in the transaction just before COMMIT, batched by `key`: every `item` deferred under one key is
   * flushed in one call (e.g. one audit append for all the clients a request read).
   */
  defer<T>(key: string, item: T, flush: (tx: Tx, items: T[]) => Promise<void>): void {
    if (this.finished) throw new Error('RequestTransaction used after finish');
    const entry = this.deferred.get(key);
    if (entry) entry.items.push(item);
    else this.deferred.set(key, { items: [item], flush: flush as Deferred['flush'] });
  }

  /** Writes what was deferred and commits; rolls back and throws when a read or the deferred work failed. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (!this.opened) {
      if (this.deferred.size === 0) return;
      this.opened = this.open();
    }
    const runner = await this.opened;
    try {
      if (this.failed) throw this.failed;
      for (const { items, flush } of this.deferred.values()) await flush(runner.manager, items);
      await runner.query('COMMIT');
    } catch (err) {
      await rollBackAndRelease(runner);
      throw err;
    } finally {
      this.gate.leave();
    }
    await runner.release();
  }

  /** Ends a transaction whose request went away before `finish` (nothing deferred is written). */
  async abandon(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const runner = await this.opened?.catch(() => undefined);
    if (!runner) return;
    this.gate.leave();
    await rollBackAndRelease(runner);
  }

  private async open(): Promise<QueryRunner> {
    await this.gate.enter();
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      serializeQueries(runner);
      // One round trip: the simple query protocol takes both statements (the settings as literals).
      if (!this.scope) throw new Error('RequestTransaction opened before actAs');
      await runner.query(`BEGIN ISOLATION LEVEL READ COMMITTED; ${tenantSettingsSql(this.scope)}`);
      return runner;
    } catch (err) {
      this.gate.leave();
      await rollBackAndRelease(runner);
      throw err;
    }
  }
}

/**
 * Rolls back (a no-op outside a transaction) and returns the connection to the pool; a connection that cannot even
 * roll back is closed instead, never reused with a transaction open.
 */
async function rollBackAndRelease(runner: QueryRunner): Promise<void> {
  try {
    await runner.query('ROLLBACK');
  } catch (err) {
    const pg = runner as QueryRunner & { releasePostgresConnection?: (err: unknown) => Promise<void> };
    if (pg.releasePostgresConnection) return pg.releasePostgresConnection(err);
  }
  await runner.release();
}

/**
 * DataLoader batches of one request run side by side on the one connection: each query waits for the one before it
 * (node-postgres would queue them too, but that is deprecated and goes in pg 9).
 */
function serializeQueries(runner: QueryRunner): void {
  const query = runner.query.bind(runner);
  let last: Promise<unknown> = Promise.resolve();
  runner.query = ((...args: Parameters<QueryRunner['query']>) => {
    const next = last.then(() => query(...args));
    last = next.catch(() => undefined);
    return next;
  }) as QueryRunner['query'];
}
