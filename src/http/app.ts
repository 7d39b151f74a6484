import Koa, { type Middleware } from 'koa';
import helmet from 'koa-helmet';
import type Router from '@koa/router';
import type { Runtime } from '../runtime.js';
import { appOrigin } from '../sso/urls.js';
import { BadInput } from '../errors.js';
import { requireCredential, type PublicPath } from './access.js';
import { problems } from './problems.js';
import { metricsOf } from './metrics.js';
import type { AuditRecord } from '../store/audit.js';

/** The routes of one feature (src/features.ts lists them all). */
export type RouterFactory = (rt: Runtime) => Router;

/** A route as registered, for the tests that walk every route. */
export interface RouteInfo {
  methods: string[];
  path: string;
}

export type BridgeApp = Koa & { routes: RouteInfo[] };

/** host[:port] with a port in range, or an IPv6 literal in brackets; anything else is a malformed Host. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?$/;

const validHost: Middleware = async (ctx, next) => {
  const host = ctx.host;
  const m = host === '' ? null : HOST.exec(host);
  if (host !== '' && (!m || (m[1] !== undefined && Number(m[1]) > 65535))) throw new BadInput('Host header: malformed');
  await next();
};

/** Nothing koobridge answers (directory data, sessions, login redirects) may sit in a shared cache. */
const noStore: Middleware = async (ctx, next) => {
  await next();
  ctx.set('Cache-Control', 'no-store');
};

/** The middleware every request passes, then the features' routers (src/features.ts). */
export function createApp(rt: Runtime, routers: RouterFactory[], publicPaths: PublicPath[]): BridgeApp {
  const app = new Koa({ proxy: rt.config.trustProxy });
  app.use(async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const audit: AuditRecord | undefined = ctx.state.audit;
      const line = { method: ctx.method, path: ctx.path.slice(0, 200), status: ctx.status, durationMs: Math.round(performance.now() - started) };
      // Marketplace calls are rare and worth a line each, with what they were answered (never their
      // bodies); reads of the directory API only at debug.
      if (audit) {
        const { callName: call, resultCode, resultMsg, outcome, instanceId, tenantId } = audit;
        rt.log.info({ ...line, channel: audit.channel, call, resultCode, resultMsg, outcome, instanceId: instanceId ?? null, tenantId: tenantId ?? null }, 'marketplace call');
      } else {
        rt.log.debug(line, 'request');
      }
    }
  });
  app.use(problems(rt.log));
  app.use(validHost);
  app.use(noStore);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          styleSrc: ["'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          // The confirmation page posts to us, and its answer redirects to the application.
          formAction: ["'self'", appOrigin(rt.config)],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
        },
      },
      // Not no-referrer: with it, browsers send `Origin: null` on our own forms' POSTs, which the
      // cross-site check must refuse. Other sites still learn nothing from our addresses.
      referrerPolicy: { policy: 'same-origin' },
    }),
  );
  app.use(metricsOf(rt).middleware());
  app.use(requireCredential(rt.config.apiToken, publicPaths));
  const routes: RouteInfo[] = [];
  for (const make of routers) {
    const router = make(rt);
    // Routes only: a router's own middleware (router.use) answers no path of its own.
    for (const layer of router.stack) if (layer.methods.length > 0) routes.push({ methods: layer.methods, path: String(layer.path) });
    app.use(router.routes()).use(router.allowedMethods());
  }
  return Object.assign(app, { routes });
}
