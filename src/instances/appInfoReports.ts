import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { inTransaction } from '../store/db.js';
import type { SecretBox } from '../store/secretBox.js';
import { appInfoRowOf, writeAppInfo, type AppInfoColumns, type AppInfoRow } from '../store/appInfo.js';
import { provisioningOf, type ProvisioningRow } from '../store/provisioning.js';
import { appInfoFields, appInfoOf, type AppInfo, type ReportedAppInfo } from './appInfo.js';
import { passwordSealContext } from './provisioning.js';
import { reportedInstance, statusOf } from './store.js';

const FIELDS = ['frontEndUrl', 'adminUrl', 'userName', 'password', 'memo'] as const;
type Field = (typeof FIELDS)[number];

const COLUMN: Record<Field, keyof AppInfoColumns> = { frontEndUrl: 'front_end_url', adminUrl: 'admin_url', userName: 'user_name', password: 'password', memo: 'memo' };

/** PUT …/app-info: each field given is set, null clears it (the report or the template answers again), a field left out stays. */
export const appInfoBody = z
  .strictObject(Object.fromEntries(FIELDS.map((f) => [f, appInfoFields[f].nullable().optional()])) as { [F in Field]: z.ZodOptional<z.ZodNullable<(typeof appInfoFields)[F]>> })
  .refine((body) => FIELDS.some((f) => body[f] !== undefined), `must set at least one of ${FIELDS.join(', ')}`);
export type AppInfoBody = z.infer<typeof appInfoBody>;

/** Binds a sealed password to its instance: copied to another row, it does not open. */
export const appInfoPasswordContext = (instanceId: string) => `instance_app_info.password:${instanceId}`;

/**
 * What the merchant's application said of one instance's appInfo, field by field: what it set
 * through the app-info API wins over its provisioning report. Passwords are opened here.
 */
export function reportedAppInfo(box: SecretBox, instanceId: string, report: ProvisioningRow | undefined, set: AppInfoRow | undefined): ReportedAppInfo {
  const provisioned = report?.state === 'provisioned' ? report : undefined;
  const reported: ReportedAppInfo = {};
  for (const field of FIELDS) {
    const column = COLUMN[field];
    const value = set?.[column] ?? provisioned?.[column] ?? null;
    if (value === null) continue;
    const context = set?.[column] != null ? appInfoPasswordContext(instanceId) : passwordSealContext(instanceId);
    reported[field] = field === 'password' ? box.open(value, context) : value;
  }
  return reported;
}

/** The answer of PUT …/app-info: the appInfo queryInstance answers now, without the password. */
export interface AppInfoSet {
  instanceId: string;
  appInfo: Omit<AppInfo, 'password'>;
  passwordSet: boolean;
  changed: boolean;
}

/**
 * Sets appInfo fields of one instance, whatever its provisioning (PROVISIONING=sync too): queryInstance
 * answers them from now on. The same values again change nothing. 404 for an instance newInstance
 * never created, or released.
 */
export async function setAppInfo(rt: Runtime, instanceId: string, input: AppInfoBody): Promise<AppInfoSet> {
  return inTransaction(rt.db, async (trx) => {
    const instance = await reportedInstance(trx, instanceId);
    const before = await appInfoRowOf(trx, instanceId);
    const columns: AppInfoColumns = {};
    let changed = false;
    for (const field of FIELDS) {
      const value = input[field];
      if (value === undefined) continue;
      const column = COLUMN[field];
      const stored = before?.[column] ?? null;
      const was = field === 'password' && stored !== null ? rt.box.open(stored, appInfoPasswordContext(instanceId)) : stored;
      if (was === value) continue;
      changed = true;
      columns[column] = field === 'password' && value !== null ? rt.box.seal(value, appInfoPasswordContext(instanceId)) : value;
    }
    if (changed) await writeAppInfo(trx, instanceId, columns, Date.now());
    const reported = reportedAppInfo(rt.box, instanceId, await provisioningOf(trx, instanceId), await appInfoRowOf(trx, instanceId));
    const { password, ...appInfo } = appInfoOf(rt.config)(instanceId, statusOf(instance), reported);
    return { instanceId, appInfo, passwordSet: password !== undefined, changed };
  });
}
