import { marketplaceTimeOf } from '../marketplace/validation.js';

/**
 * The seller centre's debug cases (调测用例) as `koobridge simulate` sends them: the lifecycle from
 * newInstance to releaseInstance, then the kit calls for the same instance, with the spec's §8.3
 * values and testFlag 1. Dial-testing replays saved cases, so every round sends the same bodies
 * (only the signature, timestamp and nonce are new).
 */

export type Channel = 'basic' | 'kit';

export interface CaseValues {
  /** The instance the cases after newInstance name (by default the one newInstance answered). */
  instanceId: string;
  tenantId: string;
  /** applicationSync.clientSecret as sent: base64 RSA-OAEP ciphertext. */
  clientSecret: string;
  /** The first kit case's timeStamp (epoch ms); each later kit case is a second later, so none looks stale beside an earlier one. */
  kitTime: number;
}

export interface DebugCase {
  /** How the case is named in the table and in --cases: the call, and the scene or flag it varies. */
  name: string;
  call: string;
  channel: Channel;
  body(v: CaseValues): Record<string, unknown>;
}

/** The §8.3 values: the spec's example order and tenant, the Java fixture's user and department. */
export const FIXTURE = {
  instanceId: 'huaiweitest123456',
  tenantId: '68cbc86abc2018ab880d92f36422fa0e',
  orderId: 'CS1906666666ABCDE',
  productId: '00301-666666-0--0',
  appId: '0bd452b0-a3e5-4d1b-9c51-0e7c6b8a1f11',
  clientId: 'NzZeWuiJa91dPSRdZQChMazIh13AW',
  clientSecret: 'typed-on-the-debug-page',
  orgCode: '123456789',
} as const;

const debug = { testFlag: '1' };

const callOf = (name: string) => name.split(':')[0]!;

const basic = (name: string, body: (v: CaseValues) => Record<string, unknown>): DebugCase => ({
  name,
  call: callOf(name),
  channel: 'basic',
  body: (v) => ({ ...body(v), ...debug }),
});

const REFRESH_SCENES = ['TRIAL_TO_FORMAL', 'RENEWAL', 'UNSUBSCRIBE_RENEWAL_PERIOD', 'RENEWAL_CHANGE'] as const;

const LIFECYCLE: DebugCase[] = [
  basic('newInstance', () => ({
    activity: 'newInstance',
    businessId: '87b94795-0603-4e24-8ae5-69420d60e3c8',
    orderId: 'CS2211181819B4LVS',
    orderLineId: 'CS2211181819B4LVS-000001',
  })),
  basic('queryInstance', (v) => ({ activity: 'queryInstance', instanceId: v.instanceId })),
  ...REFRESH_SCENES.map((scene, i) =>
    basic(`refreshInstance:${scene}`, (v) => ({
      activity: 'refreshInstance',
      instanceId: v.instanceId,
      scene,
      orderId: `${FIXTURE.orderId}${i + 1}`,
      orderLineId: `${FIXTURE.orderId}${i + 1}-000001`,
      // A renewal change may change the product (a new period type); the others keep it.
      ...(scene === 'RENEWAL_CHANGE' ? { productId: FIXTURE.productId } : {}),
      expireTime: `20${30 + i}1231160000`,
    })),
  ),
  ...(['FREEZE', 'UNFREEZE'] as const).map((status) =>
    basic(`updateInstanceStatus:${status}`, (v) => ({ activity: 'updateInstanceStatus', instanceId: v.instanceId, status })),
  ),
  basic('upgradeInstance', (v) => ({ activity: 'upgradeInstance', instanceId: v.instanceId, orderId: 'CS1906666666ABCDF', orderLineId: 'CS1906666666ABCDF-000001' })),
  basic('releaseInstance', (v) => ({ activity: 'releaseInstance', instanceId: v.instanceId })),
];

const user = {
  userName: 'zhangsan01',
  name: '张三',
  orgCode: FIXTURE.orgCode,
  position: '系统管理员',
  employeeCode: '',
  role: 'admin',
  enable: 'true',
  mobile: '',
  email: '',
};

/** A kit case's name carries its flag: 1 adds, 2 modifies, 0 deletes, authSync's 3 revokes. */
type KitBody = (v: CaseValues, timeStamp: string) => Record<string, unknown>;

const KIT_BODIES: [name: string, body: KitBody][] = [
  ['tenantSync:1', (v, timeStamp) => tenant(v, 1, 'huaweitenantname', timeStamp)],
  ['tenantSync:2', (v, timeStamp) => tenant(v, 2, 'huaweitenantname2', timeStamp)],
  [
    'applicationSync',
    (v, timeStamp) => ({ instanceId: v.instanceId, tenantId: v.tenantId, appId: FIXTURE.appId, clientId: FIXTURE.clientId, clientSecret: v.clientSecret, flag: 1, testFlag: 1, timeStamp }),
  ],
  [
    'allOrgSync',
    (v, timeStamp) => ({
      instanceId: v.instanceId,
      tenantId: v.tenantId,
      orgInfoList: [
        { orgCode: FIXTURE.orgCode, orgName: '总部', parentCode: '' },
        { orgCode: '987654321', orgName: '研发部', parentCode: FIXTURE.orgCode },
      ],
      testFlag: 1,
      timeStamp,
    }),
  ],
  ...([1, 2, 0] as const).map((flag): [string, KitBody] => [
    `singleOrgSync:${flag}`,
    (v, timeStamp) => ({ instanceId: v.instanceId, tenantId: v.tenantId, orgCode: '555555555', orgName: flag === 2 ? '销售部' : '市场部', parentCode: FIXTURE.orgCode, flag, testFlag: 1, timeStamp }),
  ]),
  ...([1, 2, 3, 0] as const).map((flag): [string, KitBody] => [
    `authSync:${flag}`,
    (v, timeStamp) => ({
      instanceId: v.instanceId,
      tenantId: v.tenantId,
      appId: FIXTURE.appId,
      userList: [flag === 2 ? { ...user, position: '运营经理' } : user],
      currentSyncTime: timeStamp,
      flag,
      testFlag: 1,
      timeStamp,
    }),
  ]),
];

function tenant(v: CaseValues, flag: number, name: string, timeStamp: string) {
  return { instanceId: v.instanceId, orderId: FIXTURE.orderId, tenantId: v.tenantId, tenantCode: 'example.com', name, domainName: 'example.tenantaccount.com', flag, testFlag: 1, timeStamp };
}

const KIT: DebugCase[] = KIT_BODIES.map(([name, body], i) => ({
  name,
  call: callOf(name),
  channel: 'kit',
  body: (v) => body(v, marketplaceTimeOf(v.kitTime + i * 1000)),
}));

export const ALL_CASES: DebugCase[] = [...LIFECYCLE, ...KIT];

/** The cases --cases names: all, lifecycle, kit, or names (a call's name selects all its variants), in the order they run. */
export function selectCases(selection: string): DebugCase[] {
  const wanted = selection
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const picked = ALL_CASES.filter((c) =>
    wanted.some((w) => w === 'all' || (w === 'lifecycle' && c.channel === 'basic') || (w === 'kit' && c.channel === 'kit') || w === c.name || w === c.call),
  );
  const unknown = wanted.filter((w) => !['all', 'lifecycle', 'kit'].includes(w) && !ALL_CASES.some((c) => w === c.name || w === c.call));
  if (unknown.length > 0 || picked.length === 0) {
    throw new Error(`--cases: unknown ${unknown.join(', ') || selection}; use all, lifecycle, kit or names from: ${ALL_CASES.map((c) => c.name).join(', ')}`);
  }
  return picked;
}
