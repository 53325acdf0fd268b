import { abilityToSql, forbidden, notFound, type Action, type RequestContext, type Tx } from '@tasuki/platform';
import { isUuid } from '../shared/validation.js';
import { HANDOVER_CONDITIONS, HANDOVER_SELECT, type HandoverRow } from './handover.model.js';

/**
 * The handover `id` of the acting organization, if the caller's ability allows `action` on it; NOT_FOUND otherwise,
 * the same answer whether it exists elsewhere or not at all. With `lock`, the row is locked for the transaction.
 */
export async function reachHandover(
  tx: Tx,
  ctx: RequestContext,
  id: string,
  action: Action,
  opts: { lock?: boolean } = {},
): Promise<HandoverRow> {
  if (!isUuid(id) || !ctx.orgId) throw notFound('引継ぎ');
  const params: unknown[] = [id, ctx.orgId];
  const access = abilityToSql(ctx.ability, action, 'Handover', HANDOVER_CONDITIONS, params);
  const [row]: HandoverRow[] = await tx.query(
    `${HANDOVER_SELECT} WHERE h.id = $1 AND h.org_id = $2 AND ${access}${opts.lock ? ' FOR UPDATE OF h' : ''}`,
    params,
  );
  if (row) return row;
  // One the caller may read but not act on this way (e.g. the leaver acknowledging): a refusal, not an absence.
  if (action !== 'read') {
    const readParams: unknown[] = [id, ctx.orgId];
    const read = abilityToSql(ctx.ability, 'read', 'Handover', HANDOVER_CONDITIONS, readParams);
    const visible: unknown[] = await tx.query(
      `SELECT 1 FROM handovers h WHERE h.id = $1 AND h.org_id = $2 AND ${read}`,
      readParams,
    );
    if (visible.length) throw forbidden('この引継ぎに対してこの操作を行う権限がありません。');
  }
  throw notFound('引継ぎ');
}

/**
 * Of the given clients, those the caller reads as the successor of a live handover covering the organization's
 * case (and not as one of its assignees): their reads are audited with the purpose HANDOVER (PRODUCT.md: the
 * successor's reading of a handed-over case counts as their access for the handover).
 */
export async function clientsReadForHandover(
  tx: Tx,
  ctx: RequestContext,
  clientIds: readonly string[],
): Promise<Set<string>> {
  const params: unknown[] = [clientIds.filter(isUuid)];
  const readForHandover = readForHandoverSql(ctx, 'x.id', params);
  if (clientIds.length === 0 || readForHandover === 'false') return new Set();
  const rows: { id: string }[] = await tx.query(
    `SELECT x.id FROM unnest($1::uuid[]) AS x(id) WHERE ${readForHandover}`,
    params,
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * The same question as SQL over the client id `clientId` (an expression), so that a read can answer it in its own
 * statement; `false` when the caller's roles cannot be a successor. Appends its parameters to `params`.
 */
export function readForHandoverSql(ctx: RequestContext, clientId: string, params: unknown[]): string {
  const roles = ctx.membership?.roles ?? [];
  if (!ctx.orgId || !roles.some((r) => r === 'SUPPORTER' || r === 'COORDINATOR')) return 'false';
  params.push(ctx.orgId, ctx.user.id);
  const org = `$${params.length - 1}::uuid`;
  const user = `$${params.length}::uuid`;
  return `EXISTS (SELECT 1 FROM handover_cases hc
       JOIN handovers h ON h.id = hc.handover_id
       JOIN cases c ON c.id = hc.case_id
      WHERE hc.org_id = ${org} AND hc.live AND h.to_user_id = ${user} AND c.client_id = ${clientId}
        AND NOT EXISTS (SELECT 1 FROM case_assignments a
                         WHERE a.org_id = c.org_id AND a.case_id = c.id AND a.user_id = ${user} AND a.to_at IS NULL))`;
}
