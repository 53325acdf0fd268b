import { abilityToSql, invalidTransition, notFound, type Action, type RequestContext, type Tx } from '@tasuki/platform';
import { ACTIVE_MEMBERSHIP } from '../members/member.model.js';
import { isUuid } from '../shared/validation.js';
import { CASE_CONDITIONS, CASE_SELECT, type CaseRow } from './case.model.js';

/**
 * The case `id` of the acting organization, if the caller's ability allows `action` on it; NOT_FOUND otherwise,
 * the same answer whether the case exists elsewhere or not at all. With `lock`, the row is locked for the rest of
 * the transaction (writes that depend on its state). With `open`, a closed case is refused.
 */
export async function reachCase(
  tx: Tx,
  ctx: RequestContext,
  id: string,
  action: Action,
  opts: { lock?: boolean; open?: boolean } = {},
): Promise<CaseRow> {
  if (!isUuid(id) || !ctx.orgId) throw notFound('ケース');
  const params: unknown[] = [id, ctx.orgId];
  const access = abilityToSql(ctx.ability, action, 'Case', CASE_CONDITIONS, params);
  const [row]: CaseRow[] = await tx.query(
    `${CASE_SELECT} WHERE c.id = $1 AND c.org_id = $2 AND ${access}${opts.lock ? ' FOR UPDATE OF c' : ''}`,
    params,
  );
  if (!row) throw notFound('ケース');
  if (opts.open && row.status !== 'OPEN') throw invalidTransition('終結したケースには操作できません。');
  return row;
}

/** The acting organization's case of a client, if the caller's ability allows `action` on it. */
export async function reachClientCase(
  tx: Tx,
  ctx: RequestContext,
  clientId: string,
  action: Action,
  opts: { lock?: boolean; open?: boolean } = {},
): Promise<CaseRow> {
  if (!isUuid(clientId) || !ctx.orgId) throw notFound('相談者');
  const [found]: { id: string }[] = await tx.query('SELECT id FROM cases WHERE client_id = $1 AND org_id = $2', [
    clientId,
    ctx.orgId,
  ]);
  if (!found) throw notFound('相談者');
  try {
    return await reachCase(tx, ctx, found.id, action, opts);
  } catch (err) {
    if ((err as { code?: string }).code === 'NOT_FOUND') throw notFound('相談者');
    throw err;
  }
}

/** An active member of the acting organization who can hold cases (SUPPORTER or COORDINATOR), or null. */
export async function caseHolder(tx: Tx, orgId: string, userId: string): Promise<{ id: string } | null> {
  if (!isUuid(userId)) return null;
  const [row]: { id: string }[] = await tx.query(
    `SELECT m.user_id AS id FROM memberships m
      WHERE m.org_id = $1 AND m.user_id = $2 AND m.roles && ARRAY['SUPPORTER','COORDINATOR']
        AND ${ACTIVE_MEMBERSHIP('m')}`,
    [orgId, userId],
  );
  return row ?? null;
}
