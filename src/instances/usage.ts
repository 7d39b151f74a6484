import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { inTransaction } from '../store/db.js';
import { recordUsage, type UsageRow } from '../store/usage.js';
import { httpUrl, isCalendarTime, requiredId } from '../marketplace/validation.js';
import { reportedInstance } from './store.js';

/** Double(12,4) (spec §7.2): at most 8 digits before the point and 4 after, not negative. */
const DOUBLE_12_4 = /^\d{1,8}(\.\d{1,4})?$/;

const usageValue = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const text = String(v);
    if (DOUBLE_12_4.test(text)) return text;
    ctx.addIssue({ code: 'custom', message: 'must be a number from 0 to 99999999.9999 with at most 4 decimals (Double(12,4))' });
    return z.NEVER;
  });

/** yyyyMMddHHmmssSSS as the marketplace writes it (kept as sent), or ISO 8601 with its zone (written in UTC). */
const statisticalTime = z
  .string()
  .max(40)
  .transform((v, ctx) => {
    if (/^\d{17}$/.test(v) && isCalendarTime(v)) return v;
    const ms = /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(v) ? Date.parse(v) : NaN;
    if (!Number.isNaN(ms)) return new Date(ms).toISOString().replace(/\D/g, '');
    ctx.addIssue({ code: 'custom', message: 'must be yyyyMMddHHmmssSSS (17 digits) or an ISO 8601 time with its zone' });
    return z.NEVER;
  });

export const usageBody = z.strictObject({
  usageValue: usageValue.describe('Double(12,4): a JSON number or decimal text, at most 4 decimals'),
  statisticalTime: statisticalTime.describe('yyyyMMddHHmmssSSS, or ISO 8601 with its zone'),
  relatedInstanceId: requiredId.optional().describe('the resource the usage is of; the latest report per relatedInstanceId is answered'),
  dashboardUrl: httpUrl(512).optional(),
});
export type UsageBody = z.output<typeof usageBody>;

/** One entry of queryInstance's usageInfo (spec §7.2): usageValue a number, statisticalTime 17 digits. */
export interface UsageInfo {
  relatedInstanceId?: string;
  usageValue: number;
  statisticalTime: string;
  dashboardUrl?: string;
}

export const usageInfoOf = (row: UsageRow): UsageInfo => ({
  ...(row.related_instance_id === '' ? {} : { relatedInstanceId: row.related_instance_id }),
  usageValue: Number(row.usage_value),
  statisticalTime: row.statistical_time,
  ...(row.dashboard_url === null ? {} : { dashboardUrl: row.dashboard_url }),
});

/**
 * Records a pay-per-use report for one instance: queryInstance answers the latest per
 * relatedInstanceId in its usageInfo. 404 for an instance newInstance never created, or released.
 */
export async function reportUsage(rt: Runtime, instanceId: string, input: UsageBody): Promise<UsageInfo & { instanceId: string; kept: boolean }> {
  return inTransaction(rt.db, async (trx) => {
    await reportedInstance(trx, instanceId);
    const row: UsageRow = {
      instance_id: instanceId,
      related_instance_id: input.relatedInstanceId ?? '',
      usage_value: input.usageValue,
      statistical_time: input.statisticalTime,
      dashboard_url: input.dashboardUrl ?? null,
      reported_at: Date.now(),
    };
    const kept = (await recordUsage(trx, row)) === 'recorded';
    return { instanceId, ...usageInfoOf(row), kept };
  });
}
