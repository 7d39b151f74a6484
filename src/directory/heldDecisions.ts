import type { Runtime } from '../runtime.js';
import type { AuditRecord } from '../store/audit.js';
import { decideHeldSync, type Decision, type DecisionOutcome, type FullSyncRunner } from './heldSyncs.js';
import { kitActions } from './kitActions.js';

/** Who decided: the merchant's application through the API, or the merchant in the admin console (the audit record's channel). */
export type DecidedThrough = Extract<AuditRecord['channel'], 'api' | 'admin'>;

/**
 * The merchant's decision on a held full sync, as the API and the admin console both take it:
 * applying runs the marketplace's allOrgSync with its guards (released instance, deleted tenant,
 * times) and the mass-delete guard off; its changes reach the change feed once committed.
 */
export async function decideHeld(rt: Runtime, id: number, decision: Decision, through: DecidedThrough): Promise<DecisionOutcome> {
  const fullSync = kitActions(rt, null).allOrgSync!;
  const runFullSync: FullSyncRunner = async (trx, body, request) => {
    const result = await fullSync.execute(trx, body, request);
    await rt.changes.applyInTransaction(trx, result.changes, result);
    return result;
  };
  const outcome = await decideHeldSync(rt.db, id, decision, runFullSync, through);
  if (outcome.status === 404) return outcome;
  if (outcome.result) rt.changes.committed(outcome.result.changes);
  rt.log.info({ heldSyncId: id, decision, through, status: outcome.status, state: outcome.heldSync.state, tenantId: outcome.heldSync.tenantId }, `held full sync: ${outcome.message}`);
  return outcome;
}
