import pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

/** Who a unit of work runs for. Row-level security sees exactly this. */
export interface TenantScope {
  orgId: string | null;
  userId: string | null;
  operator?: boolean;
  /**
   * The worker's sweeps only: reads the outbox and reminders of every organization (ids and kinds, no personal
   * data). Never set for a request.
   */
  system?: boolean;
  /** Sign-in and add-member only: the one e-mail / OIDC subject the transaction may look up. */
  authEmail?: string;
  authSubject?: string;
}

export type Tx = EntityManager;

/**
 * Opens a transaction whose first statement sets the tenant context with set_config(..., is_local = true), which
 * PostgreSQL resets at COMMIT or ROLLBACK, so a pooled connection never carries one tenant's setting into another's
 * work. A plain SET would persist on the connection; it is never used.
 */
export async function inTenantTransaction<T>(
  ds: DataSource,
  scope: TenantScope,
  work: (tx: Tx) => Promise<T>,
  isolation: IsolationLevel = 'READ COMMITTED',
): Promise<T> {
  return ds.transaction(isolation, async (tx) => {
    await setTenant(tx, scope);
    return work(tx);
  });
}

const TENANT_SETTINGS = `SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true),
  set_config('app.operator', $3, true), set_config('app.auth_email', $4, true),
  set_config('app.auth_subject', $5, true), set_config('app.system', $6, true)`;

const tenantValues = (scope: TenantScope) => [
  scope.orgId ?? '',
  scope.userId ?? '',
  scope.operator ? 'on' : 'off',
  scope.authEmail ?? '',
  scope.authSubject ?? '',
  scope.system ? 'on' : 'off',
];

/** The tenant settings of a transaction, local to it (`is_local = true`): its first statement. */
export async function setTenant(tx: Tx, scope: TenantScope): Promise<void> {
  await tx.query(TENANT_SETTINGS, tenantValues(scope));
}

/** The same statement with its values as escaped literals, for the simple query protocol (no parameters). */
export function tenantSettingsSql(scope: TenantScope): string {
  const values = tenantValues(scope);
  return TENANT_SETTINGS.replace(/\$(\d)/g, (_, i: string) => pg.escapeLiteral(values[Number(i) - 1]!));
}

/**
 * Runs one statement in the transaction and returns its rows, whatever the command. (TypeORM's `query` returns
 * `[rows, count]` for UPDATE and DELETE but plain rows otherwise; this never does.)
 */
export async function queryRows<T>(tx: Tx, text: string, params: unknown[] = []): Promise<T[]> {
  if (!tx.queryRunner) throw new Error('queryRows() needs a transactional EntityManager');
  const result = await tx.queryRunner.query(text, params, true);
  return result.records as T[];
}
