import { z } from 'zod';
import { pageOf } from '../store/pages.js';

/**
 * What the directory API answers, as zod schemas: the read functions (queries.ts, heldSyncs.ts)
 * are typed by them, and the OpenAPI document (GET /openapi.json) is generated from them, so the
 * document says what the code returns. The ids name the document's shared components.
 */

const syncedAt = z.string().describe('the marketplace time (yyyyMMddHHmmssSSS) of the call that last wrote it');
const testFlag = z.boolean().describe("true: the seller centre's debug data");

export const tenantSchema = z
  .object({
    instanceId: z.string(),
    tenantId: z.string(),
    tenantCode: z.string(),
    name: z.string(),
    domainName: z.string(),
    testFlag,
    syncedAt,
  })
  .meta({ id: 'Tenant', description: 'An enterprise (tenant) that bought the product, under one of its instances' });
export type TenantView = z.infer<typeof tenantSchema>;

export const appSchema = z
  .object({
    appId: z.string(),
    clientId: z.string().nullable(),
    hasClientSecret: z.boolean().describe('the secret itself is never shown'),
    testFlag,
    syncedAt,
  })
  .meta({ id: 'App', description: "The tenant's identity-provider application (applicationSync)" });

export const tenantDetailSchema = tenantSchema
  .extend({
    instances: z.array(z.string()).describe('every instance the tenant is synced under'),
    apps: z.array(appSchema),
  })
  .meta({ id: 'TenantDetail' });
export type TenantDetailView = z.infer<typeof tenantDetailSchema>;

export const departmentSchema = z
  .object({
    orgCode: z.string(),
    orgName: z.string(),
    parentCode: z.string().nullable(),
    path: z.string().nullable().describe('/root/…/orgCode from the top; null while its parent links loop'),
    settled: z.boolean().describe('false: its parent links loop, waiting for a move that has not arrived'),
    syncedAt,
  })
  .meta({ id: 'Department' });
export type DepartmentView = z.infer<typeof departmentSchema>;

export const userAppSchema = z
  .object({
    appId: z.string(),
    role: z.string(),
    enabled: z.boolean(),
    state: z.enum(['authorized', 'cancelled', 'deleted']),
    authorized: z.boolean().describe('state is authorized and the authorization is enabled: the user may sign in to this app'),
    syncedAt,
  })
  .meta({ id: 'UserApp', description: "A user's authorization for one app (authSync)" });
export type UserAppView = z.infer<typeof userAppSchema>;

export const userSchema = z
  .object({
    userName: z.string(),
    name: z.string(),
    orgCode: z.string(),
    position: z.string().nullable(),
    employeeCode: z.string().nullable(),
    employeeType: z.number().int().nullable(),
    mobile: z.string().nullable(),
    email: z.string().nullable(),
    workPlace: z.string().nullable(),
    entryDate: z.string().nullable(),
    testFlag,
    syncedAt,
    apps: z.array(userAppSchema),
  })
  .meta({ id: 'User' });
export type UserView = z.infer<typeof userSchema>;

/** The tenant's answers name which of its instances they read. */
const ofTenant = { instanceId: z.string(), tenantId: z.string() };

/** An item of a list asked with includeDeleted=true says whether it is deleted; without it, the lists hold live items only and no such field. */
const listed = <S extends z.ZodRawShape>(item: z.ZodObject<S>, id: string) =>
  item.extend({ deleted: z.boolean().optional().describe('with includeDeleted=true only') }).meta({ id, description: item.description });

export const tenantPageSchema = pageOf(listed(tenantSchema, 'ListedTenant'));
export type TenantPage = z.infer<typeof tenantPageSchema>;
export const departmentPageSchema = pageOf(listed(departmentSchema, 'ListedDepartment'));
export type DepartmentPage = z.infer<typeof departmentPageSchema>;
export const userPageSchema = pageOf(listed(userSchema, 'ListedUser'));
export type UserPage = z.infer<typeof userPageSchema>;
export const tenantDepartmentsSchema = departmentPageSchema.extend(ofTenant);
export const tenantUsersSchema = userPageSchema.extend(ofTenant);
export const tenantUserSchema = userSchema.extend(ofTenant);

export const heldSyncSchema = z
  .object({
    id: z.number().int(),
    instanceId: z.string(),
    tenantId: z.string(),
    timeStamp: z.string().describe('the full sync\'s marketplace time (yyyyMMddHHmmssSSS)'),
    testFlag,
    state: z.enum(['held', 'applied', 'discarded', 'superseded']),
    departments: z.number().int().describe('departments in its snapshot'),
    liveDepartments: z.number().int().describe('live departments when it was held'),
    wouldRemove: z.number().int(),
    supersededBy: z.string().nullable().describe('the timeStamp of the newer full sync that replaced it'),
    heldAt: z.iso.datetime().nullable(),
    decidedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'HeldSync', description: 'A full department sync the mass-delete guard held (ORG_SYNC_DELETE_LIMIT)' });
export type HeldSyncView = z.infer<typeof heldSyncSchema>;

export const heldSyncPageSchema = pageOf(heldSyncSchema);
export type HeldSyncPage = z.infer<typeof heldSyncPageSchema>;

const removalSchema = z.object({ orgCode: z.string(), orgName: z.string(), parentCode: z.string().nullable() });
export const heldRemovalsSchema = pageOf(removalSchema).extend({ heldSync: heldSyncSchema });
export type HeldRemovals = z.infer<typeof heldRemovalsSchema>;

/** The answer to a decision: the held sync after it, and the full sync's outcome when it was applied. */
export const heldDecisionSchema = z.object({
  message: z.string(),
  heldSync: heldSyncSchema,
  sync: z.looseObject({ outcome: z.string() }).optional().describe("the applied full sync's outcome and counts"),
});
export const heldConflictSchema = heldDecisionSchema.extend({ error: z.literal('conflict') });
