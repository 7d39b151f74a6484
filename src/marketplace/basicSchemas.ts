import { z } from 'zod';
import { isCalendarTime, optionalId, requiredId } from './validation.js';

/**
 * Bodies of the basic lifecycle calls (spec §7). Every value is a JSON string (the Java demo reads
 * the body as Map<String,String>), so a number where a string belongs is refused as mistyped.
 * `activity` selects the call and is checked by the router before these schemas run.
 */

/** A string from a fixed set: a missing value reads "is required", a number "must be a string". */
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.string().pipe(z.enum(values));

/** testFlag "1" = the seller centre's debug data; production calls omit it (older pages: "0"). */
const testFlag = oneOf(['0', '1', ''])
  .nullish()
  .transform((v) => v === '1');

/**
 * timeStamp (yyyyMMddHHmmssSSS): the V2 basic calls define none, but a body may carry one as the kit
 * and the V1 calls do; the events of the call name it as their sourceTime. Any other value is
 * ignored (undefined): a field the contract does not define is no reason to refuse a call.
 */
const timeStamp = z
  .string()
  .regex(/^\d{17}$/)
  .refine(isCalendarTime)
  .optional()
  .catch(undefined);

const MAX_QUERY_IDS = 100;

/** A comma-separated list of at most 100 instance ids (spec §7.2); blanks and empty entries are ignored. */
const instanceIdList = z
  .string()
  .min(1)
  .transform((v, ctx) => {
    const ids = [...new Set(v.split(',').map((s) => s.trim()))].filter((id) => id !== '');
    if (ids.length === 0) ctx.addIssue({ code: 'custom', message: 'must list at least one instance id' });
    else if (ids.length > MAX_QUERY_IDS) ctx.addIssue({ code: 'custom', message: `must list at most ${MAX_QUERY_IDS} instance ids, got ${ids.length}` });
    else if (ids.some((id) => id.length > 64)) ctx.addIssue({ code: 'custom', message: 'each id must be at most 64 characters' });
    else return ids;
    return z.NEVER;
  });

/**
 * expireTime: yyyyMMddHHmmss in UTC per the table, 17 digits (with ms) in the example; stored as
 * 17 digits so string order is time order. A date that does not exist (month 13) is refused.
 */
const expireTime = z
  .string()
  .regex(/^\d{14}(\d{3})?$/, 'must be yyyyMMddHHmmss or yyyyMMddHHmmssSSS (UTC)')
  .refine(isCalendarTime, 'is not a valid UTC date and time')
  .transform((s) => s.padEnd(17, '0'));

/** Ids the V2 tables do not define but a body may carry: kept when given, absent as empty. */
const extraId = z
  .string()
  .max(64)
  .nullish()
  .transform((v) => v || null);

/** productId: not in the V2 table; when a (pay-per-use) body carries it, orderId + productId is the order's key (spec §7.1). */
export const newInstanceBody = z.object({
  orderId: requiredId,
  orderLineId: requiredId,
  businessId: requiredId,
  productId: extraId,
  testFlag,
  timeStamp,
});

export const queryInstanceBody = z.object({
  instanceId: instanceIdList,
  testFlag,
});

export const REFRESH_SCENES = ['TRIAL_TO_FORMAL', 'RENEWAL', 'UNSUBSCRIBE_RENEWAL_PERIOD', 'RENEWAL_CHANGE'] as const;

export const refreshInstanceBody = z.object({
  instanceId: requiredId,
  orderId: requiredId,
  orderLineId: requiredId,
  scene: oneOf(REFRESH_SCENES),
  productId: extraId,
  expireTime,
  testFlag,
  timeStamp,
});

export const updateInstanceStatusBody = z.object({
  instanceId: requiredId,
  status: oneOf(['FREEZE', 'UNFREEZE']),
  testFlag,
  timeStamp,
});

/** orderId / orderLineId: the unsubscribe (退订) order when the release comes from one. */
export const releaseInstanceBody = z.object({
  instanceId: requiredId,
  orderId: optionalId,
  orderLineId: optionalId,
  testFlag,
  timeStamp,
});

export const upgradeInstanceBody = z.object({
  instanceId: requiredId,
  orderId: requiredId,
  orderLineId: requiredId,
  testFlag,
  timeStamp,
});

export type NewInstanceBody = z.output<typeof newInstanceBody>;
export type QueryInstanceBody = z.output<typeof queryInstanceBody>;
export type RefreshInstanceBody = z.output<typeof refreshInstanceBody>;
export type UpdateInstanceStatusBody = z.output<typeof updateInstanceStatusBody>;
export type ReleaseInstanceBody = z.output<typeof releaseInstanceBody>;
export type UpgradeInstanceBody = z.output<typeof upgradeInstanceBody>;
