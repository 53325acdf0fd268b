import type { OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { tenantScope, type RequestContext } from '../authz/request-context.js';
import { RequestTransaction, RequestTransactionGate } from './request-transaction.js';
import type { StatementCounter } from './statement-counter.js';
import { isDatabaseUnavailable, serviceUnavailable } from './unavailable.js';
import { inTenantTransaction, type IsolationLevel, type TenantScope, type Tx } from './tenant-transaction.js';

/** The application role's connection pool. Every unit of work goes through `run`, which sets the tenant first. */
export class Database implements OnApplicationShutdown {
  constructor(
    readonly dataSource: DataSource,
    private readonly counter?: StatementCounter,
  ) {
    const poolSize = (dataSource.options as { poolSize?: number }).poolSize ?? 10;
    this.gate = new RequestTransactionGate(Math.max(1, Math.floor(poolSize / 2)));
  }

  /** At most half the pool is held by request transactions (see RequestTransactionGate). */
  private readonly gate: RequestTransactionGate;

  /** SQL statements sent so far through this pool (when created with a counter). */
  get statementCount(): number {
    return this.counter?.count ?? 0;
  }

  /**
   * A unit of work in one tenant transaction. When PostgreSQL cannot be reached or restarts meanwhile, the error is
   * the typed SERVICE_UNAVAILABLE (the pool drops the dead connection and opens new ones once the server is back).
   */
  async run<T>(scope: TenantScope, work: (tx: Tx) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    try {
      return await inTenantTransaction(this.dataSource, scope, work, isolation);
    } catch (err) {
      throw isDatabaseUnavailable(err) ? serviceUnavailable(err) : err;
    }
  }

  /**
   * A read for the request `ctx`: in the request's shared transaction when it has one (a GraphQL query), else in a
   * transaction of its own. For work that only reads (and defers its audit): a write belongs in `run`.
   */
  read<T>(ctx: RequestContext, work: (tx: Tx) => Promise<T>): Promise<T> {
    return ctx.transaction ? ctx.transaction.run(work) : this.run(tenantScope(ctx), work);
  }

  /** The shared read transaction of one query request (see RequestTransaction). */
  requestTransaction(): RequestTransaction {
    return new RequestTransaction(this.dataSource, this.gate);
  }

  /** The database server's clock: one clock for every process, whatever their hosts' skew. */
  async now(): Promise<Date> {
    const [row] = (await this.dataSource.query('SELECT now() AS now')) as { now: Date }[];
    return row!.now;
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
