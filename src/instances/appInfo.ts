import type { Config } from '../config/index.js';
import type { InstanceStatus } from './store.js';

export interface AppInfo {
  frontEndUrl: string;
  adminUrl: string;
  memo: string;
}

export type AppInfoOf = (instanceId: string, status: InstanceStatus) => AppInfo;

const FROZEN_NOTE = '【已冻结 / frozen】';

/**
 * queryInstance's appInfo (spec §7.2) from the FRONT_END_URL / ADMIN_URL templates: a path is
 * resolved against PUBLIC_URL, and {instanceId} is replaced by the URL-encoded id.
 */
export function appInfoOf(config: Pick<Config, 'publicUrl' | 'frontEndUrl' | 'adminUrl' | 'instanceMemo'>): AppInfoOf {
  const origin = config.publicUrl.replace(/\/+$/, '');
  const link = (template: string) => {
    const absolute = template.startsWith('/') ? origin + template : template;
    return (instanceId: string) => absolute.replaceAll('{instanceId}', encodeURIComponent(instanceId));
  };
  const frontEndUrl = link(config.frontEndUrl);
  const adminUrl = link(config.adminUrl);
  return (instanceId, status) => ({
    frontEndUrl: frontEndUrl(instanceId),
    adminUrl: adminUrl(instanceId),
    memo: status === 'frozen' ? `${FROZEN_NOTE} ${config.instanceMemo}` : config.instanceMemo,
  });
}
