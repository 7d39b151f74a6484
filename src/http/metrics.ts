import type Router from '@koa/router';
import { exactRouter } from './access.js';
import type { Middleware } from 'koa';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { countOverdue } from '../store/provisioning.js';
import type { Runtime } from '../runtime.js';
import { SESSION_END_REASONS, type SessionEnds } from '../sso/sessionEnds.js';
import { ssoState } from '../sso/context.js';
import { DELIVERY_OUTCOMES, deliveryOutcomes, type DeliveryOutcomes } from '../webhooks/worker.js';
import { disabledEndpointCount, oldestPending } from '../store/webhooks.js';
import type { Db } from '../store/db.js';
import { z } from 'zod';
import type { Operation } from './openapi.js';

/** Prometheus metrics: process defaults, marketplace calls (a counter and a histogram), ended SSO sessions, webhook deliveries. */
export class Metrics {
  readonly registry = new Registry();
  private readonly calls = new Counter({
    name: 'koobridge_marketplace_calls_total',
    help: 'Marketplace calls answered, by channel, call, resultCode and outcome',
    labelNames: ['channel', 'call', 'result_code', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly seconds = new Histogram({
    name: 'koobridge_marketplace_call_seconds',
    help: 'Time to answer a marketplace call',
    labelNames: ['channel', 'call'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [this.registry],
  });

  private readonly notices = new Counter({
    name: 'koobridge_marketplace_notices_total',
    help: 'Marketplace calls that left something to look at (department_cycle, full_sync_held), by kind',
    labelNames: ['channel', 'call', 'notice'] as const,
    registers: [this.registry],
  });

  private readonly clockSkew = new Gauge({
    name: 'koobridge_marketplace_clock_skew_seconds',
    help: 'Our clock minus the timestamp of the latest signed call: verified="true" for one whose signature held, "false" for one refused as outside SIGNATURE_WINDOW_SECONDS (unchecked: anyone can send one)',
    labelNames: ['verified'] as const,
    registers: [this.registry],
  });

  private readonly sessionsEnded = new Counter({
    name: 'koobridge_sso_sessions_ended_total',
    help: 'SSO sessions ended by renewal, timeout or logout, by reason (revocations by marketplace calls are audited instead)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly webhookAttempts = new Counter({
    name: 'koobridge_webhook_deliveries_total',
    help: 'Webhook delivery attempts this replica made, by outcome (delivered, retrying, failed: no attempt left, gone: 410 disabled the endpoint)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(sessionEnds: SessionEnds, outcomes: DeliveryOutcomes, db: Db, provisioningTimeoutMs: number) {
    collectDefaultMetrics({ register: this.registry });
    // Every reason is shown from the start (at 0), so an alert on a rise needs no series to appear first.
    for (const reason of SESSION_END_REASONS) this.sessionsEnded.inc({ reason }, 0);
    sessionEnds.subscribe((reason, count) => this.sessionsEnded.inc({ reason }, count));
    for (const outcome of DELIVERY_OUTCOMES) this.webhookAttempts.inc({ outcome }, 0);
    outcomes.subscribe((outcome) => this.webhookAttempts.inc({ outcome }));
    // Read from the database at each scrape: what every replica did, not this one's share.
    new Gauge({
      name: 'koobridge_webhook_endpoints_disabled',
      help: 'Webhook endpoints disabled (by a 410 answer, by WEBHOOK_DISABLE_AFTER_DAYS of failures, or through the API)',
      registers: [this.registry],
      async collect() {
        this.set(await disabledEndpointCount(db));
      },
    });
    new Gauge({
      name: 'koobridge_webhook_oldest_pending_seconds',
      help: 'Age of the oldest webhook delivery not yet delivered on an enabled endpoint (0: none)',
      registers: [this.registry],
      async collect() {
        const since = await oldestPending(db);
        this.set(since === undefined ? 0 : Math.max(0, (Date.now() - since) / 1000));
      },
    });
    new Gauge({
      name: 'koobridge_instances_provisioning_overdue',
      help: 'Instances still provisioning (PROVISIONING=async) after PROVISIONING_TIMEOUT_MINUTES: the merchant\'s application has not reported them',
      registers: [this.registry],
      async collect() {
        this.set(await countOverdue(db, Date.now() - provisioningTimeoutMs));
      },
    });
  }

  /** Counts every call the signed-call pipeline audited (its record is on ctx.state.audit). */
  middleware(): Middleware {
    return async (ctx, next) => {
      const started = performance.now();
      try {
        await next();
      } finally {
        const { audit } = ctx.state;
        if (audit) {
          // Every label comes from a closed set: the pipeline records unknown call names as "unknown".
          const call = audit.callName;
          this.calls.inc({ channel: audit.channel, call, result_code: audit.resultCode, outcome: audit.outcome });
          this.seconds.observe({ channel: audit.channel, call }, (performance.now() - started) / 1000);
          const skew = ctx.state.clockSkew;
          if (skew) this.clockSkew.set({ verified: String(skew.verified) }, skew.seconds);
          if (ctx.state.notice) this.notices.inc({ channel: audit.channel, call, notice: ctx.state.notice });
        }
      }
    };
  }
}

const byRuntime = new WeakMap<Runtime, Metrics>();

/** The runtime's metrics, shared by the middleware that counts and the route that shows them. */
export function metricsOf(rt: Runtime): Metrics {
  let metrics = byRuntime.get(rt);
  if (!metrics) {
    metrics = new Metrics(ssoState(rt).sessionEnds, deliveryOutcomes(rt), rt.reads, rt.config.provisioningTimeoutMinutes * 60_000);
    byRuntime.set(rt, metrics);
  }
  return metrics;
}

/** GET /metrics behind the API token: call counts leak which tenants are active, so not public. */
export function metricsRouter(rt: Runtime): Router {
  const { registry } = metricsOf(rt);
  const router = exactRouter();
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}

export const metricsOperations: Operation[] = [
  {
    method: 'get',
    path: '/metrics',
    tag: 'operations',
    summary: 'Prometheus metrics',
    responses: { 200: { description: 'the text exposition format', mediaType: 'text/plain', schema: z.string() } },
  },
];
