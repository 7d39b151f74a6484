import type { EventType, NewEvent } from '../store/events.js';

/** The fields of a kit call every event it causes carries. */
interface KitCall {
  instanceId: string;
  tenantId: string;
  testFlag: boolean;
}

/**
 * One directory event of a kit call (README "Directory events"): `sourceTime` is the call's
 * marketplace time (timeStamp, for authSync currentSyncTime), `data` the object as the directory
 * API shows it after the change (a deletion: before it), never a secret.
 */
export function kitEvent(call: KitCall, sourceTime: string, type: EventType, data: object): NewEvent {
  return { type, instanceId: call.instanceId, tenantId: call.tenantId, testFlag: call.testFlag, sourceTime, data };
}
