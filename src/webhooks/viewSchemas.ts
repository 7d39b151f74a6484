import { z } from 'zod';
import { EVENT_TYPES } from '../store/events.js';

/**
 * What the webhook API answers, as zod schemas: endpointView and deliveryView are typed by them and
 * the OpenAPI document is generated from them (see directory/viewSchemas.ts).
 */

const time = z.iso.datetime().nullable();

export const webhookEndpointSchema = z
  .object({
    id: z.string().regex(/^we_[A-Za-z0-9_-]{22}$/),
    url: z.string(),
    description: z.string().nullable(),
    types: z.array(z.enum(EVENT_TYPES)).nullable().describe('the event types posted to it; null: every type'),
    source: z.enum(['environment', 'api']).describe('environment: WEBHOOK_URL configures it (change it there); api: created through the API'),
    disabled: z.boolean(),
    disabledReason: z.string().nullable().describe('why it was disabled (by the API, a 410 answer, or a spell of failures)'),
    disabledAt: time,
    failingSince: time.describe('the first failure of the current spell; null while deliveries succeed'),
    previousSecretExpiresAt: time.describe('until when the secret before the last rotation also signs'),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'WebhookEndpoint', description: 'Where events are posted, signed (Standard Webhooks); its secret is never shown again' });
export type WebhookEndpointView = z.infer<typeof webhookEndpointSchema>;

/** The answers that make a secret (create, rotate-secret) show it, this once. */
export const webhookEndpointWithSecretSchema = webhookEndpointSchema
  .extend({ secret: z.string().describe('whsec_…: verifies the webhook-signature header; shown only in this answer') })
  .meta({ id: 'WebhookEndpointWithSecret' });

export const webhookEndpointListSchema = z.object({ items: z.array(webhookEndpointSchema) });

export const webhookDeliverySchema = z
  .object({
    id: z.string().regex(/^whd_[A-Za-z0-9_-]{22}$/),
    endpointId: z.string(),
    eventId: z.string(),
    eventSequence: z.number().int(),
    eventType: z.enum(EVENT_TYPES),
    status: z.enum(['pending', 'delivered', 'failed']),
    inFlight: z.boolean().describe('a sender holds it now'),
    attempts: z.number().int(),
    nextAttemptAt: time.describe('while pending'),
    lastAttemptAt: time,
    lastStatusCode: z.number().int().nullable().describe("the receiver's HTTP status at the last attempt"),
    lastError: z.string().nullable(),
    deliveredAt: time,
    createdAt: time,
  })
  .meta({ id: 'WebhookDelivery', description: 'One event sent to one endpoint: its attempts and outcome' });
export type WebhookDeliveryView = z.infer<typeof webhookDeliverySchema>;

export const webhookDeliveryPageSchema = z.object({
  items: z.array(webhookDeliverySchema),
  page: z.number().int().min(1),
  pageSize: z.number().int().min(1),
  total: z.number().int().min(0).describe('deliveries in the whole log, on every page'),
});
export type WebhookDeliveryPage = z.infer<typeof webhookDeliveryPageSchema>;
