import type { Runtime } from '../runtime.js';
import { bool, inTransaction } from '../store/db.js';
import type { EventType } from '../store/events.js';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../store/rows.js';
import {
  ENV_KEY,
  deleteEndpoint,
  findEndpoint,
  findEnvEndpoint,
  insertEndpoint,
  newEndpointId,
  replaceSecret,
  setEndpointUrl,
} from '../store/webhooks.js';
import { newSecret } from './signing.js';
import type { WebhookDeliveryView, WebhookEndpointView } from './viewSchemas.js';

/** Binds a sealed secret to its endpoint: copied to another row, it does not open. */
/** What an endpoint's sealed secret is bound to: its own row. */
export const endpointSealContext = (id: string) => `webhook_endpoints.secret:${id}`;

const iso = (ms: number | string | null) => (ms == null ? null : new Date(Number(ms)).toISOString());

/** An endpoint as the API shows it; the secret only in the answers that create one. */
export function endpointView(r: WebhookEndpointRow): WebhookEndpointView {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    /** null: every type. */
    types: r.types ? (JSON.parse(r.types) as EventType[]) : null,
    /** `environment`: WEBHOOK_URL configures it (change it there); `api`: created through the API. */
    source: r.env_key ? ('environment' as const) : ('api' as const),
    disabled: bool(r.disabled),
    disabledReason: r.disabled_reason,
    disabledAt: iso(r.disabled_at),
    failingSince: iso(r.failing_since),
    /** Until when the secret before the last rotation also signs. */
    previousSecretExpiresAt: iso(r.previous_secret_until),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function deliveryView(r: WebhookDeliveryRow): WebhookDeliveryView {
  const inFlight = r.status === 'pending' && Number(r.lease_until) > Date.now();
  return {
    id: r.id,
    endpointId: r.endpoint_id,
    eventId: r.event_id,
    eventSequence: Number(r.event_sequence),
    // Only events write deliveries, so the column holds an event type.
    eventType: r.event_type as EventType,
    status: r.status,
    inFlight,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
    lastAttemptAt: iso(r.last_attempt_at),
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    deliveredAt: iso(r.delivered_at),
    createdAt: iso(r.created_at),
  };
}

/** The secrets that sign for the endpoint now: its own, and the previous one during a rotation's overlap. */
export function signingSecrets(rt: Runtime, r: WebhookEndpointRow, now = Date.now()): string[] {
  const secrets = [rt.box.open(r.secret, endpointSealContext(r.id))];
  if (r.previous_secret && Number(r.previous_secret_until) > now) secrets.push(rt.box.open(r.previous_secret, endpointSealContext(r.id)));
  return secrets;
}

export interface EndpointInput {
  url: string;
  types?: EventType[];
  description?: string;
}

/** A new endpoint and its secret, which is shown this once (kept sealed). */
export async function createEndpoint(rt: Runtime, input: EndpointInput) {
  const id = newEndpointId();
  const secret = newSecret();
  await inTransaction(rt.db, (trx) =>
    insertEndpoint(trx, { id, url: input.url, description: input.description ?? null, types: input.types ?? null, secret: rt.box.seal(secret, endpointSealContext(id)), envKey: null }),
  );
  return { ...endpointView((await findEndpoint(rt.db, id))!), secret };
}

/**
 * A new secret (shown this once); the old one goes on signing for WEBHOOK_ROTATION_OVERLAP_SECONDS,
 * so a receiver can switch without losing a delivery. Undefined for an unknown endpoint.
 */
export async function rotateSecret(rt: Runtime, id: string) {
  const secret = newSecret();
  const rotated = await inTransaction(rt.db, async (trx) => {
    const row = await findEndpoint(trx, id, true);
    if (!row) return false;
    await replaceSecret(trx, id, rt.box.seal(secret, endpointSealContext(id)), row.secret, Date.now() + rt.config.webhookRotationOverlapSeconds * 1000);
    return true;
  });
  return rotated ? { ...endpointView((await findEndpoint(rt.db, id))!), secret } : undefined;
}

/**
 * Makes the WEBHOOK_URL endpoint what the environment says, at each start (every replica does;
 * the row lock or the unique key makes them agree): created with WEBHOOK_SECRET, its URL or secret
 * updated (the old secret signing through the overlap), or removed once the variable is unset.
 */
export async function configureEnvironmentEndpoint(rt: Runtime): Promise<void> {
  const { webhookUrl: url, webhookSecret: secret } = rt.config;
  const outcome = await inTransaction(rt.db, async (trx) => {
    const row = await findEnvEndpoint(trx);
    if (!url || !secret) return row && { removed: row.id };
    if (!row) {
      const id = newEndpointId();
      await insertEndpoint(trx, { id, url, description: 'configured by WEBHOOK_URL', types: null, secret: rt.box.seal(secret, endpointSealContext(id)), envKey: ENV_KEY });
      return { created: id };
    }
    if (row.url !== url) await setEndpointUrl(trx, row.id, url);
    const current = rt.box.open(row.secret, endpointSealContext(row.id));
    if (current !== secret) {
      await replaceSecret(trx, row.id, rt.box.seal(secret, endpointSealContext(row.id)), row.secret, Date.now() + rt.config.webhookRotationOverlapSeconds * 1000);
      return { rotated: row.id };
    }
    return undefined;
  });
  if (outcome?.removed) await deleteEndpoint(rt.db, outcome.removed);
  if (outcome) rt.log.info(outcome, 'webhook endpoint from WEBHOOK_URL configured');
}

