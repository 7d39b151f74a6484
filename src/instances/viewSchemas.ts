import { z } from 'zod';
import { tenantSchema } from '../directory/viewSchemas.js';
import { pageOf } from '../store/pages.js';

/**
 * What the instance API answers, as a zod schema: instanceView is typed by it and the OpenAPI
 * document is generated from it (see directory/viewSchemas.ts).
 */

const marketplaceTime = z.string().nullable().describe('yyyyMMddHHmmssSSS, UTC, as the marketplace sent it');

const orderSchema = z.object({
  kind: z.enum(['new', 'refresh', 'upgrade', 'release']),
  orderId: z.string().nullable(),
  orderLineId: z.string().nullable(),
  scene: z.string().nullable().describe('refreshInstance only'),
  productId: z.string().nullable(),
  expireTime: marketplaceTime,
  testFlag: z.boolean(),
  recordedAt: z.iso.datetime(),
});

const status = z.enum(['active', 'frozen', 'released']);

const provisioningState = z.enum(['provisioning', 'provisioned', 'failed']);

/** Where the merchant's application is with an instance PROVISIONING=async left waiting. Never the password. */
const provisioningSchema = z
  .object({
    state: provisioningState,
    since: z.iso.datetime().describe('when newInstance recorded it'),
    settledAt: z.iso.datetime().nullable(),
    reason: z.string().nullable().describe('failed: what the application reported'),
    overdue: z.boolean().describe('still provisioning after PROVISIONING_TIMEOUT_MINUTES'),
  })
  .meta({ id: 'InstanceProvisioning' });

/** The appInfo fields the merchant's application set for the instance (PUT …/app-info). Never the password. */
const appInfoSetFieldsSchema = z
  .object({
    frontEndUrl: z.string().nullable(),
    adminUrl: z.string().nullable(),
    userName: z.string().nullable(),
    memo: z.string().nullable(),
    passwordSet: z.boolean().describe('a password is held for queryInstance'),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'InstanceAppInfoSet' });

export const provisioningReportSchema = z
  .object({ instanceId: z.string(), state: provisioningState, changed: z.boolean().describe('false: the same report was made before') })
  .meta({ id: 'ProvisioningReport' });

/** What PUT …/app-info answers: the appInfo queryInstance now answers, the password left out. */
export const appInfoSetSchema = z
  .object({
    instanceId: z.string(),
    appInfo: z.object({
      frontEndUrl: z.string(),
      adminUrl: z.string(),
      memo: z.string().describe('a frozen instance\'s carries the frozen note'),
      userName: z.string().optional(),
    }),
    passwordSet: z.boolean().describe('queryInstance sends a password (as APPINFO_PASSWORD says)'),
    changed: z.boolean().describe('false: the same values were set before'),
  })
  .meta({ id: 'AppInfoSet' });

/** What POST …/usage answers: the report as queryInstance's usageInfo writes it. */
export const usageReportSchema = z
  .object({
    instanceId: z.string(),
    relatedInstanceId: z.string().optional(),
    usageValue: z.number(),
    statisticalTime: z.string().describe('yyyyMMddHHmmssSSS'),
    dashboardUrl: z.string().optional(),
    kept: z.boolean().describe('false: a report with a later statisticalTime is kept for this relatedInstanceId'),
  })
  .meta({ id: 'UsageReport' });

export const instanceSchema = z
  .object({
    instanceId: z.string(),
    status: status.describe('an instance known only from kit calls counts as active'),
    createdByNewInstance: z.boolean(),
    orderId: z.string().nullable(),
    orderLineId: z.string().nullable(),
    productId: z.string().nullable(),
    expireTime: marketplaceTime,
    expiresAt: z.iso.datetime().nullable().describe('expireTime as ISO 8601'),
    testFlag: z.boolean().nullable().describe('null: known only from kit calls'),
    createdAt: z.iso.datetime().nullable(),
    updatedAt: z.iso.datetime().nullable(),
    orders: z.array(orderSchema).describe('every lifecycle call that carried an order, oldest first'),
    tenants: z.array(tenantSchema).describe('the first 1000 of its tenants'),
    tenantCount: z.number().int(),
    provisioning: provisioningSchema.nullable().describe('null: the instance did not wait for the merchant\'s application (PROVISIONING=sync)'),
    appInfo: appInfoSetFieldsSchema.nullable().describe('null: the application set none; fields null are answered from the report or the templates'),
  })
  .meta({ id: 'Instance', description: 'An instance of the product: lifecycle status, expiry, orders and tenants' });
export type InstanceView = z.infer<typeof instanceSchema>;

/** An instance in the list: one the lifecycle calls created, without its orders and tenants. */
export const instanceSummarySchema = instanceSchema
  .pick({ instanceId: true, orderId: true, productId: true, expireTime: true, expiresAt: true })
  .extend({
    status,
    testFlag: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime().describe('when a lifecycle call last changed it (what updatedSince compares)'),
    tenantCount: z.number().int().describe('its live tenants'),
  })
  .meta({ id: 'InstanceSummary', description: 'An instance as the list shows it: no orders or tenants, their count only' });

export const instancePageSchema = pageOf(instanceSummarySchema);
export type InstancePage = z.infer<typeof instancePageSchema>;
