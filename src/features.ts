import type { Config } from './config/index.js';
import type { Runtime } from './runtime.js';
import type { ChangeListener } from './store/changes.js';
import { answerSealContext, purgeExpiredNonces } from './store/nonces.js';
import { purgeOldAudit } from './store/audit.js';
import type { Job } from './jobs/index.js';
import type { PublicPath } from './http/access.js';
import { openApiRouter, type Operation } from './http/openapi.js';
import type { RouterFactory } from './http/app.js';
import { healthRouter } from './http/healthRouter.js';
import { metricsOperations, metricsRouter } from './http/metrics.js';
import { kitRouter } from './http/kitRouter.js';
import { directoryOperations, directoryRouter } from './http/directoryRouter.js';
import { basicRouter } from './http/basicRouter.js';
import { instanceApiRouter, instanceOperations } from './http/instanceApiRouter.js';
import { heldSyncOperations, heldSyncRouter } from './http/heldSyncRouter.js';
import { sessionOperations, ssoRouter } from './http/ssoRouter.js';
import { ssoState } from './sso/context.js';
import { purgeSsoRows, renewDueSessions } from './sso/jobs.js';
import { revokeSessions } from './sso/revocation.js';
import { eventOperations, eventsRouter } from './http/eventsRouter.js';
import { purgeOldEvents } from './store/events.js';
import type { SealedColumn } from './store/reseal.js';
import { clientSecretContext } from './directory/applicationSync.js';
import { passwordSealContext, warnOverdueProvisioning } from './instances/provisioning.js';
import { appInfoPasswordContext } from './instances/appInfoReports.js';
import { sessionSealContext } from './sso/sessions.js';
import { switchSealContext } from './sso/sessionSwitches.js';
import { verifierContext } from './sso/loginStates.js';
import { purgeDeliveries } from './store/webhooks.js';
import { webhookOperations, webhooksRouter } from './http/webhooksRouter.js';
import { configureEnvironmentEndpoint, endpointSealContext } from './webhooks/endpoints.js';
import { startWebhookWorker, type RunningWorker } from './webhooks/worker.js';
import { adminPublicPaths, adminRouter, LOGIN_WINDOW_MS } from './admin/router.js';
import { adminSections } from './admin/sections.js';
import { purgeAdminRows } from './store/adminSessions.js';

/** What one capability adds to the server. A new capability is one more entry in `features` below. */
export interface Feature {
  name: string;
  routers?: RouterFactory[];
  /** node-cron jobs; every replica schedules them, a lease lets one run each tick. */
  jobs?: Job[];
  /** Loops every replica runs at once, from start to stop, sharing the work through claims in the database. */
  workers?: ((rt: Runtime) => Promise<RunningWorker>)[];
  /** What it sets up at each start, after the migrations (what the environment configures). */
  onStart?(rt: Runtime): Promise<void>;
  /** Paths served without the API token, each with what its route checks instead. Every other path needs `Bearer API_TOKEN`. */
  publicPaths?(config: PublicPathConfig): PublicPath[];
  /** What it does when a marketplace call changes the directory (in the call's transaction, or after it commits). */
  onChange?(rt: Runtime): ChangeListener;
  /** Its routes for the merchant's application, as GET /openapi.json describes them (every bearer route needs one). */
  operations?: Operation[];
  /** Columns holding values sealed with `rt.box`: `npm run reseal` moves them to the newest DATA_ENCRYPTION_KEY. */
  sealedColumns?: SealedColumn[];
}

/** What the public paths depend on: where the marketplace calls, whether the admin console is on. */
type PublicPathConfig = Pick<Config, 'marketplaceBasePath' | 'adminPassword'>;

export const features: Feature[] = [
  {
    name: 'health',
    routers: [healthRouter],
    publicPaths: () => [
      { path: '/healthz', checks: 'nothing: liveness' },
      { path: '/readyz', checks: 'nothing: readiness' },
    ],
  },
  { name: 'metrics', routers: [metricsRouter], operations: metricsOperations },
  {
    name: 'kit calls',
    routers: [kitRouter],
    sealedColumns: [
      { table: 'apps', key: ['instance_id', 'tenant_id', 'app_id'], column: 'client_secret', context: (k) => clientSecretContext(k.instance_id!, k.tenant_id!, k.app_id!) },
    ],
    publicPaths: ({ marketplaceBasePath: base }) => [
      { path: new RegExp(`^${base.replaceAll('.', '\\.')}/produceAPI/v2/[^/]+$`), checks: 'the marketplace signature of the kit interfaces' },
    ],
  },
  { name: 'directory API', routers: [directoryRouter], operations: directoryOperations },
  {
    name: 'instance lifecycle',
    routers: [basicRouter, instanceApiRouter],
    operations: instanceOperations,
    jobs: [{ name: 'warn-overdue-provisioning', schedule: '*/10 * * * *', run: warnOverdueProvisioning }],
    sealedColumns: [
      { table: 'instance_provisioning', key: ['instance_id'], column: 'password', context: (k) => passwordSealContext(k.instance_id!) },
      { table: 'instance_app_info', key: ['instance_id'], column: 'password', context: (k) => appInfoPasswordContext(k.instance_id!) },
    ],
    publicPaths: ({ marketplaceBasePath: base }) => [{ path: base || '/', checks: 'the marketplace signature of the basic interfaces' }],
  },
  { name: 'held full department syncs', routers: [heldSyncRouter], operations: heldSyncOperations },
  {
    name: 'events',
    routers: [eventsRouter],
    operations: eventOperations,
    jobs: [{ name: 'purge-events', schedule: '37 * * * *', run: (rt) => purgeOldEvents(rt.db, rt.config.eventRetentionDays, Date.now(), rt.stopping.signal) }],
  },
  {
    name: 'webhooks',
    routers: [webhooksRouter],
    operations: webhookOperations,
    // After the events' purge (minute 37): deliveries of events no longer kept.
    jobs: [{ name: 'purge-webhook-deliveries', schedule: '47 * * * *', run: (rt) => purgeDeliveries(rt.db) }],
    workers: [startWebhookWorker],
    onStart: configureEnvironmentEndpoint,
    // The secret before a rotation is sealed the same way, and still signs during the overlap.
    sealedColumns: (['secret', 'previous_secret'] as const).map((column) => ({ table: 'webhook_endpoints', key: ['id'], column, context: (k: Record<string, string>) => endpointSealContext(k.id!) })),
  },
  {
    name: 'store housekeeping',
    // A resend is answered as the first time; an answer carrying a password is kept sealed.
    sealedColumns: [{ table: 'nonces', key: ['scope', 'nonce'], column: 'answer', context: (k) => answerSealContext(k.scope!, k.nonce!), plainToo: true }],
    jobs: [
      { name: 'purge-nonces', schedule: '*/5 * * * *', run: (rt) => purgeExpiredNonces(rt.db) },
      // Hourly: a day's records go in small batches rather than in one long delete at night.
      { name: 'purge-audit', schedule: '17 * * * *', run: (rt) => purgeOldAudit(rt.db, rt.config.auditRetentionDays, Date.now(), rt.stopping.signal) },
    ],
  },
  {
    name: 'sso',
    routers: [ssoRouter],
    operations: sessionOperations,
    jobs: [
      { name: 'sso-renew', schedule: (rt) => rt.config.ssoRenewSchedule, run: renewDueSessions },
      { name: 'sso-purge', schedule: '*/5 * * * *', run: purgeSsoRows },
    ],
    publicPaths: () => [
      { path: '/sso/login', checks: 'nothing: it only sends the browser to the tenant\'s identity provider' },
      { path: '/sso/callback', checks: 'the authorization code, redeemed at the identity provider' },
      { path: '/sso/switch', checks: 'the session cookie and the switch token of the confirmation page' },
      { path: '/sso/session', checks: 'the session cookie' },
      { path: '/sso/logout', checks: 'the session cookie; the sign-out itself (POST) a same-origin request and the form token of its page' },
      { path: '/sso/account', checks: 'the session cookie: it shows only the signed-in person their own name and enterprise' },
      { path: '/sso/signed-out', checks: 'nothing: a fixed page' },
    ],
    sealedColumns: [
      ...(['access', 'refresh'] as const).flatMap((which) => [
        { table: 'sso_sessions', key: ['id_hash'], column: `${which}_token`, context: (k: Record<string, string>) => sessionSealContext(k.id_hash!, which) },
        { table: 'sso_session_switches', key: ['token_hash'], column: `${which}_token`, context: (k: Record<string, string>) => switchSealContext(k.token_hash!, which) },
      ]),
      { table: 'sso_login_states', key: ['state_hash'], column: 'code_verifier', context: (k) => verifierContext(k.state_hash!) },
    ],
    onChange(rt) {
      const { clients } = ssoState(rt);
      return { inTransaction: revokeSessions, afterCommit: (change) => clients.forget(change) };
    },
  },
  {
    name: 'admin console',
    routers: [adminRouter(adminSections)],
    jobs: [{ name: 'purge-admin', schedule: '*/5 * * * *', run: (rt) => purgeAdminRows(rt.db, Date.now(), LOGIN_WINDOW_MS) }],
    // Absent, and so behind the API token like any unknown path, while ADMIN_PASSWORD is unset.
    publicPaths: (config) => (config.adminPassword === undefined ? [] : adminPublicPaths),
  },
  {
    name: 'API description',
    routers: [(rt) => openApiRouter(features.flatMap((f) => f.operations ?? []), publicPaths(rt.config))],
    publicPaths: () => [{ path: '/openapi.json', checks: 'nothing: it describes the API and holds no data' }],
  },
];

/** Every column holding sealed values, for `npm run reseal`. */
export const sealedColumns = (): SealedColumn[] => features.flatMap((f) => f.sealedColumns ?? []);

/** The one list of paths served without the API token. */
export const publicPaths = (config: PublicPathConfig): PublicPath[] => features.flatMap((f) => f.publicPaths?.(config) ?? []);
