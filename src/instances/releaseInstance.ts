import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import type { ReleaseInstanceBody } from '../marketplace/basicSchemas.js';
import type { DirectoryChange } from '../store/changes.js';
import { debugNoop, debugOnRealData, resultFor, unchanged } from './instanceCall.js';
import { lockedInstance, recordOrder } from './store.js';
import { emitInstanceEvent } from './instanceEvents.js';
import { instanceView } from './instanceView.js';
import type { InstanceRow } from '../store/rows.js';
import { forgetAppInfo } from '../store/appInfo.js';
import { forgetUsage } from '../store/usage.js';
import { forgetReportedPassword } from '../store/provisioning.js';
import { forgetOrderProducts } from '../store/payPerUse.js';
import { forgetInstanceSnapshots } from '../store/departmentSnapshots.js';

/** Everything the kit calls stored under an instance, children first. */
const DIRECTORY_TABLES = ['user_apps', 'users', 'departments', 'apps', 'tenants'] as const;

/**
 * releaseInstance (spec §7.5): the instance's directory (apps with their secrets included) is
 * deleted; the SSO feature ends its sessions on the 'released' change. The row stays as a
 * tombstone, written even for an instance never seen, so a repeated release changes nothing and a
 * late kit call cannot bring the data back; only the first release emits instance.released. A debug
 * release works differently (startOver).
 */
export async function releaseInstance(trx: Trx, body: ReleaseInstanceBody): Promise<CallResult> {
  const row = await lockedInstance(trx, body.instanceId, 'update');
  const result = resultFor(body);
  if (debugOnRealData(body, row)) return debugNoop(body);
  if (body.testFlag) return startOver(trx, body, row, result);
  if (row?.status === 'released') return unchanged(result, { alreadyReleased: true });

  const key = { instance_id: body.instanceId };
  const removed: Record<string, number> = {};
  for (const table of DIRECTORY_TABLES) removed[table] = await trx(table).where(key).delete();
  await forgetInstanceSnapshots(trx, body.instanceId);
  await forgetReports(trx, body.instanceId);
  const now = Date.now();
  await trx('instances')
    .insert({ ...key, status: 'released', test_flag: 0, created_at: now, updated_at: now })
    .onConflict('instance_id')
    .merge(['status', 'updated_at']);
  await recordOrder(trx, { instanceId: body.instanceId, kind: 'release', orderId: body.orderId, orderLineId: body.orderLineId, testFlag: body.testFlag });
  await emitInstanceEvent(trx, 'instance.released', body.instanceId, body);

  result.detail = { previous: row?.status ?? 'never created', orderId: body.orderId || null, removed };
  result.changes.push({ type: 'instance', instanceId: body.instanceId, status: 'released' });
  return result;
}

/**
 * A debug release (testFlag "1") removes the debug data under the instance and forgets the
 * instance, leaving no tombstone: the seller centre replays its saved cases (newInstance …
 * releaseInstance, then the kit calls) twice a day forever (spec §7.8), and every run must find
 * what the first one found, so the kit calls after the release write their data again. Only rows
 * the debug calls wrote go; real ones under the same id stay. Their tenants' sessions end. A debug
 * instance that existed emits instance.released with its last state (status released): nothing of
 * it is left to show.
 */
async function startOver(trx: Trx, body: ReleaseInstanceBody, row: InstanceRow | undefined, result: CallResult): Promise<CallResult> {
  const { instanceId } = body;
  const last = row && (await instanceView(trx, instanceId));
  const debug = { instance_id: instanceId, test_flag: 1 };
  const tenants: string[] = await trx('tenants').where(debug).pluck('tenant_id');
  const removed: Record<string, number> = {};
  for (const table of DIRECTORY_TABLES) removed[table] = await trx(table).where(debug).delete();
  await forgetInstanceSnapshots(trx, instanceId);
  await trx('instance_orders').where(debug).delete();
  if (row) {
    await forgetReports(trx, instanceId);
    await forgetOrderProducts(trx, instanceId);
  }
  await trx('instances').where(debug).delete();
  if (last) await emitInstanceEvent(trx, 'instance.released', instanceId, body, { ...last, status: 'released' });
  result.detail = { debugRelease: 'debug data removed and the instance forgotten, so the saved cases can run again', previous: row?.status ?? 'never created', removed };
  result.changes.push(...tenants.map((tenantId): DirectoryChange => ({ type: 'tenant', instanceId, tenantId, deleted: true })));
  return result;
}

/** What the merchant's application set or reported of the instance (its appInfo password too) goes with it. */
async function forgetReports(trx: Trx, instanceId: string): Promise<void> {
  await forgetAppInfo(trx, instanceId);
  await forgetUsage(trx, instanceId);
  await forgetReportedPassword(trx, instanceId);
}
