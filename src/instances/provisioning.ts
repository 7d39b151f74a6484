import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { inTransaction, type Trx } from '../store/db.js';
import { Conflict, NotFound } from '../errors.js';
import { countOverdue, provisioningOf, settleFailed, settleProvisioned, type ProvisioningRow } from '../store/provisioning.js';
import { emitInstanceEvent } from './instanceEvents.js';
import { instanceView } from './instanceView.js';
import { appInfoFields } from './appInfo.js';

export const provisionedBody = z.strictObject({
  frontEndUrl: appInfoFields.frontEndUrl,
  adminUrl: appInfoFields.adminUrl.optional(),
  userName: appInfoFields.userName.optional(),
  password: appInfoFields.password.optional(),
  memo: appInfoFields.memo.optional(),
});
export type ProvisionedBody = z.infer<typeof provisionedBody>;

export const provisioningFailedBody = z.strictObject({ reason: z.string().min(1).max(1024) });

/** Binds a sealed password to its instance: copied to another row, it does not open. */
export const passwordSealContext = (instanceId: string) => `instance_provisioning.password:${instanceId}`;

/** The instance waiting for this report; 404 when it never waited (sync mode, unknown id). */
async function waiting(trx: Parameters<typeof provisioningOf>[0], instanceId: string): Promise<ProvisioningRow> {
  const row = await provisioningOf(trx, instanceId, true);
  if (!row) throw new NotFound(`instance ${instanceId.slice(0, 64)} is not waiting for provisioning (unknown, or created while PROVISIONING=sync)`);
  return row;
}

const conflict = (instanceId: string, row: ProvisioningRow) =>
  new Conflict(`instance ${instanceId} was already reported ${row.state === 'failed' ? 'failed' : 'provisioned'} with other values; a report cannot be changed`);

/**
 * The merchant's application reports the instance provisioned: queryInstance answers this appInfo
 * from now on. The same report again succeeds and changes nothing; a different one is refused.
 */
export async function reportProvisioned(rt: Runtime, instanceId: string, input: ProvisionedBody): Promise<{ changed: boolean }> {
  return inTransaction(rt.db, async (trx) => {
    const row = await waiting(trx, instanceId);
    if (row.state !== 'provisioning') {
      if (row.state === 'provisioned' && sameReport(rt, row, input)) return { changed: false };
      throw conflict(instanceId, row);
    }
    const password = input.password === undefined ? null : rt.box.seal(input.password, passwordSealContext(instanceId));
    await settleProvisioned(trx, instanceId, { frontEndUrl: input.frontEndUrl, adminUrl: input.adminUrl ?? null, userName: input.userName ?? null, password, memo: input.memo ?? null }, Date.now());
    await settledEvent(trx, 'instance.provisioned', instanceId);
    return { changed: true };
  });
}

/** The merchant's application could not provision the instance: queryInstance answers 000005 with the reason. */
export async function reportProvisioningFailed(rt: Runtime, instanceId: string, reason: string): Promise<{ changed: boolean }> {
  return inTransaction(rt.db, async (trx) => {
    const row = await waiting(trx, instanceId);
    if (row.state !== 'provisioning') {
      if (row.state === 'failed' && row.reason === reason) return { changed: false };
      throw conflict(instanceId, row);
    }
    await settleFailed(trx, instanceId, reason, Date.now());
    await settledEvent(trx, 'instance.provisioning_failed', instanceId);
    return { changed: true };
  });
}

function sameReport(rt: Runtime, row: ProvisioningRow, input: ProvisionedBody): boolean {
  const password = row.password === null ? undefined : rt.box.open(row.password, passwordSealContext(row.instance_id));
  return (
    row.front_end_url === input.frontEndUrl &&
    (row.admin_url ?? undefined) === input.adminUrl &&
    (row.user_name ?? undefined) === input.userName &&
    (row.memo ?? undefined) === input.memo &&
    password === input.password
  );
}

/** The event's testFlag is the instance's own (a debug order's instance stays debug data). */
async function settledEvent(trx: Trx, type: 'instance.provisioned' | 'instance.provisioning_failed', instanceId: string) {
  const view = await instanceView(trx, instanceId);
  await emitInstanceEvent(trx, type, instanceId, { testFlag: view?.testFlag ?? false }, view);
}

/** The job's warning: instances the merchant's application left provisioning past PROVISIONING_TIMEOUT_MINUTES. */
export async function warnOverdueProvisioning(rt: Runtime): Promise<void> {
  const overdue = await countOverdue(rt.db, Date.now() - rt.config.provisioningTimeoutMinutes * 60_000);
  if (overdue > 0) rt.log.warn({ overdue, timeoutMinutes: rt.config.provisioningTimeoutMinutes }, 'instances still provisioning past PROVISIONING_TIMEOUT_MINUTES: the merchant\'s application has not reported them (GET /api/v1/instances/{instanceId} shows provisioning.overdue)');
}
