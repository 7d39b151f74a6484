import { z } from 'zod';
import type { Config } from '../config/index.js';
import { httpUrl } from '../marketplace/validation.js';
import { V1_ENCRYPT_TYPE, v1Encrypt } from '../marketplace/v1Cipher.js';
import type { InstanceStatus } from './store.js';

/** queryInstance's appInfo (spec §7.2), in plaintext. */
export interface AppInfo {
  frontEndUrl: string;
  adminUrl: string;
  memo: string;
  userName?: string;
  password?: string;
}

/** Length in the answer, where each non-ASCII character is written \uXXXX. */
const escapedLength = (text: string) => text.length + 5 * (text.match(/[\u0080-\uffff]/g)?.length ?? 0);

/** The fields the merchant's application may report, with queryInstance's limits (spec §7.2). */
export const appInfoFields = {
  frontEndUrl: httpUrl(512),
  adminUrl: httpUrl(512),
  userName: z.string().min(1).max(128),
  password: z.string().min(1).max(128).describe('kept sealed; never shown by the API or in events'),
  // Within String(1024) as sent, escaped, so either reading of the limit holds.
  memo: z.string().refine((memo) => escapedLength(memo) <= 1024, 'must be at most 1024 characters once each non-ASCII character is written \\uXXXX (6 characters)'),
};

/** What the merchant's application said of an instance's appInfo (its report, the app-info it set); absent: not said. */
export type ReportedAppInfo = Partial<AppInfo>;

export type AppInfoOf = (instanceId: string, status: InstanceStatus, reported?: ReportedAppInfo) => AppInfo;

/** One entry of queryInstance's info as sent: encryptType only beside V1-encrypted credentials. */
export interface SentAppInfo {
  appInfo: Record<string, string>;
  encryptType?: string;
}

const FROZEN_NOTE = '【已冻结 / frozen】';

/**
 * queryInstance's appInfo: what the merchant's application reported, else the FRONT_END_URL /
 * ADMIN_URL / INSTANCE_MEMO templates (a path is resolved against PUBLIC_URL, {instanceId} is
 * replaced by the URL-encoded id). A frozen instance's memo says so, whichever memo it is.
 */
export function appInfoOf(config: Pick<Config, 'publicUrl' | 'frontEndUrl' | 'adminUrl' | 'instanceMemo'>): AppInfoOf {
  const origin = config.publicUrl.replace(/\/+$/, '');
  const link = (template: string) => {
    const absolute = template.startsWith('/') ? origin + template : template;
    return (instanceId: string) => absolute.replaceAll('{instanceId}', encodeURIComponent(instanceId));
  };
  const frontEndUrl = link(config.frontEndUrl);
  const adminUrl = link(config.adminUrl);
  return (instanceId, status, reported = {}) => {
    const memo = reported.memo ?? config.instanceMemo;
    const info: AppInfo = {
      frontEndUrl: reported.frontEndUrl ?? frontEndUrl(instanceId),
      adminUrl: reported.adminUrl ?? adminUrl(instanceId),
      memo: status === 'frozen' ? `${FROZEN_NOTE} ${memo}` : memo,
    };
    if (reported.userName !== undefined) info.userName = reported.userName;
    if (reported.password !== undefined) info.password = reported.password;
    return info;
  };
}

/**
 * The appInfo as APPINFO_PASSWORD says to send it (spec §4.3 leaves it open): plain, as the V2
 * table describes userName and password; encrypted, both in the V1 form with encryptType; or
 * without the password.
 */
export function sentAppInfo(config: Pick<Config, 'appInfoPassword' | 'basicAccessKey'>): (info: AppInfo) => SentAppInfo {
  return ({ password, ...info }) => {
    if (config.appInfoPassword === 'omit') return { appInfo: { ...info } };
    const credentials = { ...(info.userName === undefined ? {} : { userName: info.userName }), ...(password === undefined ? {} : { password }) };
    if (config.appInfoPassword === 'plain' || Object.keys(credentials).length === 0) return { appInfo: { ...info, ...credentials } };
    const encrypted = Object.fromEntries(Object.entries(credentials).map(([field, text]) => [field, v1Encrypt(config.basicAccessKey, text)]));
    return { appInfo: { ...info, ...encrypted }, encryptType: V1_ENCRYPT_TYPE };
  };
}
