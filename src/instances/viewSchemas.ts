import { z } from 'zod';
import { tenantSchema } from '../directory/viewSchemas.js';

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

export const instanceSchema = z
  .object({
    instanceId: z.string(),
    status: z.enum(['active', 'frozen', 'released']).describe('an instance known only from kit calls counts as active'),
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
  })
  .meta({ id: 'Instance', description: 'An instance of the product: lifecycle status, expiry, orders and tenants' });
export type InstanceView = z.infer<typeof instanceSchema>;
