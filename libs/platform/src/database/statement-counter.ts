import type { Logger } from 'typeorm';

/**
 * Counts the SQL statements a DataSource sends (transaction control included). A figure for benchmarks and for the
 * test that a list costs the same number of statements whatever its page size; it logs nothing.
 */
export class StatementCounter implements Logger {
  count = 0;

  logQuery(): void {
    this.count++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
