import type { OneAccessUser } from './oneAccess.js';

/**
 * The enterprise `koobridge demo` syncs, and whom `koobridge dev-idp` lets sign in unless told
 * otherwise: the same people on both sides, so a demo login is authorized out of the box.
 */
export const DEMO_TENANT = { tenantId: '68cbc86abc2018ab880d92f36422fa0e', tenantCode: 'demo', name: 'Demo Enterprise 演示企业' };

export const DEMO_CLIENT = { clientId: 'koobridge-demo-client', clientSecret: 'koobridge-demo-client-secret' };

export const DEMO_DEPARTMENTS = [
  { orgCode: 'D01', orgName: '总部 Headquarters', parentCode: '' },
  { orgCode: 'D0101', orgName: '研发部 R&D', parentCode: 'D01' },
];

export const DEMO_USERS = [
  { userName: 'zhangsan', name: '张三', role: 'admin', orgCode: 'D01' },
  { userName: 'lisi', name: '李四', role: 'user', orgCode: 'D0101' },
];

/** The demo's people as the IdP knows them. */
export const demoIdpUsers = (tenant = DEMO_TENANT.tenantId): OneAccessUser[] =>
  DEMO_USERS.map((u) => ({ userName: u.userName, name: u.name, role: u.role, organizationCode: u.orgCode, tenant }));
