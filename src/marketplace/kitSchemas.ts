import { z } from 'zod';
import { intOf, jsonOrString, marketplaceTime, optionalId, optionalText, parseListInTurns, requiredId, testFlag, type QuickCheck } from './validation.js';

/** Fields every kit call carries (spec §5). */
const common = {
  instanceId: optionalId,
  tenantId: requiredId,
  testFlag,
  timeStamp: marketplaceTime,
};

/**
 * The tenant's authentication centre as an origin (plus any path), without a trailing slash.
 * The doc example has a scheme, a debug fixture has none (spec §11 q11): https is assumed.
 */
export function normaliseDomainName(value: string): string | undefined {
  const trimmed = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  try {
    const url = new URL(withScheme);
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname || url.search || url.hash) return undefined;
    return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/** flag: 0 delete, 1 add, 2 modify (tenantSync, applicationSync, singleOrgSync). */
const flag = intOf([0, 1, 2] as const);

export const tenantSyncBody = z.object({
  ...common,
  orderId: optionalId,
  tenantCode: z.string().max(64),
  name: z.string().max(255),
  domainName: z
    .string()
    .min(1)
    .max(255)
    .transform((v, ctx) => normaliseDomainName(v) ?? (ctx.addIssue({ code: 'custom', message: 'must be a host name or an https:// URL' }), z.NEVER)),
  flag,
});

export const applicationSyncBody = z.object({
  ...common,
  appId: requiredId,
  clientId: z.string().max(64),
  clientSecret: z.string().max(4096),
  flag,
});

const employeeType = z
  .union([z.number().int(), z.string().regex(/^\d{1,4}$/, 'must be an integer').transform(Number), z.literal('')])
  .nullish()
  .transform((v) => (v === '' || v == null ? null : v));

const extensionFields = {
  entryDate: optionalText(20),
  employeeType,
  workPlace: optionalText(256),
};

/** One authorized user; V1 puts entryDate/employeeType/workPlace under `extension` (spec §5.3). */
export const authUser = z
  .object({
    userName: z.string().min(1).max(64),
    name: z.string().max(64),
    orgCode: z.string().max(64),
    position: optionalText(64),
    employeeCode: optionalText(64),
    role: z.enum(['user', 'admin']),
    enable: z.union([z.enum(['true', 'false']).transform((v) => v === 'true'), z.boolean()]),
    mobile: optionalText(32),
    email: optionalText(128),
    ...extensionFields,
    extension: jsonOrString(z.object(extensionFields).partial()).nullish(),
  })
  .transform(({ extension, ...u }) => ({
    ...u,
    entryDate: u.entryDate ?? extension?.entryDate ?? null,
    employeeType: u.employeeType ?? extension?.employeeType ?? null,
    workPlace: u.workPlace ?? extension?.workPlace ?? null,
  }));

export type AuthUser = z.output<typeof authUser>;

export const authSyncBody = z.object({
  ...common,
  appId: requiredId,
  userList: jsonOrString(z.array(authUser)),
  currentSyncTime: marketplaceTime,
  /** 0 delete, 1 add, 2 modify, 3 cancel authorization. */
  flag: intOf([0, 1, 2, 3] as const),
});

const parentCode = z
  .string()
  .max(64)
  .nullish()
  .transform((v) => (v === '' || v == null ? null : v));

export const singleOrgSyncBody = z.object({
  ...common,
  orgCode: z.string().min(1).max(64),
  orgName: z.string().max(128),
  parentCode,
  flag,
});

/** V2 orgName or V1 name; a stray per-item `flag` (seen in the doc example) is ignored. */
export const orgInfo = z
  .object({
    orgCode: z.string().min(1).max(64),
    orgName: z.string().max(128).optional(),
    name: z.string().max(128).optional(),
    parentCode,
  })
  .refine((o) => o.orgName !== undefined || o.name !== undefined, { message: 'is required', path: ['orgName'] })
  .transform((o) => ({ orgCode: o.orgCode, orgName: (o.orgName ?? o.name)!, parentCode: o.parentCode }));

export type OrgInfo = z.output<typeof orgInfo>;

const within = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/**
 * orgInfo's rules checked by hand for a department as the marketplace sends it: the schema costs
 * about 5 µs an item, most of a 100,000-department snapshot's validation. Anything else (a missing
 * or odd field) is left to the schema, which says what is wrong.
 */
export const quickOrgInfo: QuickCheck<OrgInfo> = (item) => {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const { orgCode, orgName, name, parentCode } = item as Record<string, unknown>;
  if (!within(orgCode, 64) || orgCode === '') return undefined;
  if ((orgName !== undefined && !within(orgName, 128)) || (name !== undefined && !within(name, 128))) return undefined;
  const label = orgName ?? name;
  if (label === undefined || (parentCode != null && !within(parentCode, 64))) return undefined;
  return { orgCode, orgName: label, parentCode: parentCode === '' || parentCode == null ? null : parentCode };
};

/**
 * orgInfoList (V2, array or JSON string) or orgInfo (V1, JSON string). The list's items are checked
 * afterwards, a slice at a time (allOrgSyncDepartments): a snapshot may hold 100,000 of them.
 */
export const allOrgSyncBody = z
  .object({
    ...common,
    orgInfoList: jsonOrString(z.array(z.unknown())).optional(),
    orgInfo: jsonOrString(z.array(z.unknown())).optional(),
  })
  .refine((b) => b.orgInfoList !== undefined || b.orgInfo !== undefined, { message: 'is required', path: ['orgInfoList'] })
  .transform(({ orgInfo: v1, orgInfoList, ...rest }) => ({
    ...rest,
    listField: orgInfoList !== undefined ? 'orgInfoList' : 'orgInfo',
    departments: (orgInfoList ?? v1)!,
  }));

/** The snapshot with each of its departments validated (see parseListInTurns). */
export async function allOrgSyncDepartments(body: z.output<typeof allOrgSyncBody>): Promise<AllOrgSyncBody> {
  return { ...body, departments: await parseListInTurns(orgInfo, body.departments, body.listField, quickOrgInfo) };
}

export type TenantSyncBody = z.output<typeof tenantSyncBody>;
export type ApplicationSyncBody = z.output<typeof applicationSyncBody>;
export type AuthSyncBody = z.output<typeof authSyncBody>;
export type SingleOrgSyncBody = z.output<typeof singleOrgSyncBody>;
export type AllOrgSyncBody = Omit<z.output<typeof allOrgSyncBody>, 'departments'> & { departments: OrgInfo[] };
