import type { OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { inTenantTransaction, type IsolationLevel, type TenantScope, type Tx } from './tenant-transaction.js';

/** The application role's connection pool. Every unit of work goes through `run`, which sets the tenant first. */
export class Database implements OnApplicationShutdown {
  constructor(readonly dataSource: DataSource) {}

  run<T>(scope: TenantScope, work: (tx: Tx) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    return inTenantTransaction(this.dataSource, scope, work, isolation);
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
