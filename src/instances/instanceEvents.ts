import type { Trx } from '../store/db.js';
import { emit, type EventType } from '../store/events.js';
import { instanceView } from './instanceView.js';

/** What the lifecycle call that changed an instance says about itself. */
export interface LifecycleCall {
  testFlag: boolean;
  /** yyyyMMddHHmmssSSS, when the body carries one. */
  timeStamp?: string;
}

type InstanceView = NonNullable<Awaited<ReturnType<typeof instanceView>>>;

/**
 * Adds the instance's event to the call's transaction, its data the instance as
 * GET /api/v1/instances/{instanceId} shows it after the change, read in the transaction; or
 * `data`, for an instance the change leaves nothing of.
 */
export async function emitInstanceEvent(trx: Trx, type: EventType, instanceId: string, call: LifecycleCall, data?: InstanceView): Promise<void> {
  const view = data ?? (await instanceView(trx, instanceId));
  if (!view) throw new Error(`${type}: instance ${instanceId} has no view after the change`);
  emit(trx, [{ type, instanceId, tenantId: null, testFlag: call.testFlag, sourceTime: call.timeStamp ?? null, data: view }]);
}
