import { marketplaceTimeOf } from '../../src/marketplace/validation.js';

/** Kit bodies shaped like the marketplace's (spec §5, §8.3 fixtures), with sensible defaults. */

/** Epoch ms as the marketplace writes times (spec §5). */
export const marketplaceTime = marketplaceTimeOf;

let clock = Date.UTC(2026, 0, 1);
/** A marketplace timeStamp a second later than any issued before in this process (early 2026: never ahead of a request). */
export const later = () => marketplaceTime((clock += 1000));

export const TENANT = '68cbc86abc2018ab880d92f36422fa0e';
export const INSTANCE = 'huaiweitest123456';
export const APP = '0bd452b0-a3e5-4d1b-9c51-0e7c6b8a1f11';

export const tenantSync = (o: Record<string, unknown> = {}) => ({
  instanceId: INSTANCE,
  orderId: 'CS1906666666ABCDE',
  tenantId: TENANT,
  tenantCode: 'huawei',
  name: 'huaiweitest',
  domainName: 'https://example.tenantaccount.com',
  flag: 1,
  testFlag: 0,
  timeStamp: later(),
  ...o,
});

export const applicationSync = (clientSecret: string, o: Record<string, unknown> = {}) => ({
  instanceId: INSTANCE,
  tenantId: TENANT,
  appId: APP,
  clientId: 'NzZeWuiJa91dPSRdZQChMazIh13AW',
  clientSecret,
  flag: 1,
  testFlag: 0,
  timeStamp: later(),
  ...o,
});

export const user = (userName: string, o: Record<string, unknown> = {}) => ({
  userName,
  name: `Name ${userName}`,
  orgCode: '123456789',
  position: '系统管理员',
  employeeCode: '',
  role: 'user',
  enable: 'true',
  mobile: '',
  email: '',
  ...o,
});

export const authSync = (userList: unknown, o: Record<string, unknown> = {}) => {
  const ts = later();
  return {
    instanceId: INSTANCE,
    tenantId: TENANT,
    appId: APP,
    userList,
    currentSyncTime: ts,
    flag: 1,
    testFlag: 0,
    timeStamp: ts,
    ...o,
  };
};

export const singleOrgSync = (orgCode: string, parentCode: string | null, o: Record<string, unknown> = {}) => ({
  instanceId: INSTANCE,
  tenantId: TENANT,
  orgCode,
  orgName: `Dept ${orgCode}`,
  parentCode: parentCode ?? '',
  flag: 1,
  testFlag: 0,
  timeStamp: later(),
  ...o,
});

export const allOrgSync = (orgInfoList: unknown, o: Record<string, unknown> = {}) => ({
  instanceId: INSTANCE,
  tenantId: TENANT,
  orgInfoList,
  testFlag: 0,
  timeStamp: later(),
  ...o,
});

export const dept = (orgCode: string, parentCode: string | null = null, orgName = `Dept ${orgCode}`) => ({ orgCode, orgName, parentCode: parentCode ?? '' });
