import type { OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { StatementCounter } from './statement-counter.js';
import { inTenantTransaction, type IsolationLevel, type TenantScope, type Tx } from './tenant-transaction.js';

/** The application role's connection pool. Every unit of work goes through `run`, which sets the tenant first. */
export class Database implements OnApplicationShutdown {
  constructor(
    readonly dataSource: DataSource,
    private readonly counter?: StatementCounter,
  ) {}

  /** SQL statements sent so far through this pool (when created with a counter). */
  get statementCount(): number {
    return this.counter?.count ?? 0;
  }

  run<T>(scope: TenantScope, work: (tx: Tx) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    return inTenantTransaction(this.dataSource, scope, work, isolation);
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
