import { allowInsecureRequests, ClientSecretPost, Configuration } from 'openid-client';
import type { Runtime } from '../runtime.js';
import type { DirectoryChange } from '../store/changes.js';
import { clientSecretContext } from '../directory/applicationSync.js';
import { SecretUnreadable } from '../store/secretBox.js';
import { SsoRefusal } from './refusal.js';
import type { SyncedApp } from './syncedApps.js';

/** OneAccess's fixed endpoints under each tenant's domain (spec §6.3); there is no discovery document to rely on. */
export const ONEACCESS_PATHS = {
  authorize: '/api/v1/oauth2/authorize',
  token: '/api/v1/oauth2/token',
  userinfo: '/api/v1/oauth2/userinfo',
  logout: '/api/v1/logout',
} as const;

const keyOf = (instanceId: string, tenantId: string, appId = '') => `${instanceId}\u0000${tenantId}\u0000${appId}`;

/**
 * One openid-client Configuration per (tenant, app), built from the synced domain and credentials.
 * An entry is used only while its rows are unchanged (fingerprint), so a replica that did not see
 * the sync rebuilds it too; the change feed drops entries here as soon as a sync commits.
 */
export class IdpClients {
  private readonly cache = new Map<string, { fingerprint: string; config: Configuration }>();

  constructor(private readonly rt: Runtime) {}

  configFor(app: SyncedApp): Configuration {
    const key = keyOf(app.instanceId, app.tenantId, app.appId);
    const hit = this.cache.get(key);
    if (hit?.fingerprint === app.fingerprint) return hit.config;
    const config = this.build(app);
    this.cache.set(key, { fingerprint: app.fingerprint, config });
    return config;
  }

  /** After a tenantSync or applicationSync committed: its domain or credentials may have changed. */
  forget(change: DirectoryChange): void {
    if (change.type === 'app') this.cache.delete(keyOf(change.instanceId, change.tenantId, change.appId));
    if (change.type !== 'tenant') return;
    const prefix = keyOf(change.instanceId, change.tenantId);
    for (const key of this.cache.keys()) if (key.startsWith(prefix)) this.cache.delete(key);
  }

  private build(app: SyncedApp): Configuration {
    const domain = new URL(app.domainName);
    const http = domain.protocol === 'http:';
    if (http && !this.rt.config.ssoAllowHttp) {
      throw new SsoRefusal(
        'insecure_idp',
        `tenant ${app.tenantId}'s identity provider ${domain.origin} is plain http://; only https:// is used (SSO_ALLOW_HTTP=true allows http:// for tests and local demos)`,
        app,
      );
    }
    const base = app.domainName.replace(/\/+$/, '');
    const secret = this.openSecret(app);
    const config = new Configuration(
      {
        issuer: base,
        authorization_endpoint: base + ONEACCESS_PATHS.authorize,
        token_endpoint: base + ONEACCESS_PATHS.token,
        userinfo_endpoint: base + ONEACCESS_PATHS.userinfo,
        end_session_endpoint: base + ONEACCESS_PATHS.logout,
      },
      app.clientId,
      { client_secret: secret },
      ClientSecretPost(secret),
    );
    config.timeout = this.rt.config.ssoHttpTimeoutSeconds;
    if (http) allowInsecureRequests(config);
    return config;
  }

  private openSecret(app: SyncedApp): string {
    try {
      return this.rt.box.open(app.sealedSecret, clientSecretContext(app.instanceId, app.tenantId, app.appId));
    } catch (err) {
      if (!(err instanceof SecretUnreadable)) throw err;
      throw new SsoRefusal(
        'app_secret_unreadable',
        `tenant ${app.tenantId}'s clientSecret of app ${app.appId || '(default)'} cannot be read: ${err.message}; put that key back in DATA_ENCRYPTION_KEY, or have the marketplace send applicationSync again`,
        app,
      );
    }
  }
}
