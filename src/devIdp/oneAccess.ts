import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { interactionPolicy } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import { ONEACCESS_PATHS } from '../sso/clients.js';

/**
 * A OneAccess look-alike built on panva's oidc-provider (spec §6.3): the OneAccess paths, access
 * tokens of 7200 s, refresh tokens of 30 days rotated on every use, client_secret_post, no consent
 * page, and a userinfo without `sub`. The dev IdP serves it on a port; the tests drive the same
 * provider with faults of their own.
 */

/** Someone who can sign in at the IdP, with what userinfo says of them. */
export interface OneAccessUser {
  userName: string;
  name: string;
  /** The tenantId (OneAccess: "企业的domainId"); koobridge refuses a login whose tenant differs. */
  tenant?: string;
  role?: string;
  organizationCode?: string;
}

export interface OneAccessClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export const ONEACCESS_LIFETIMES = { accessTokenSeconds: 7200, refreshTokenSeconds: 30 * 86400 };

/** oidc-provider's route names for the OneAccess paths. */
const ROUTES = {
  authorization: ONEACCESS_PATHS.authorize,
  token: ONEACCESS_PATHS.token,
  userinfo: ONEACCESS_PATHS.userinfo,
  end_session: ONEACCESS_PATHS.logout,
};

/** Where the provider sends the browser to sign someone in; the server in front answers it. */
export const INTERACTION_PATH = '/interaction/';

/** A userinfo body as OneAccess answers it (spec §6.3.4): these fields, and no `sub`. */
export function oneAccessUserinfo(user: OneAccessUser) {
  return {
    id: `20201029190841785-CB37-${user.userName}`,
    userName: user.userName,
    name: user.name,
    email: '',
    mobile: '',
    role: user.role ?? 'user',
    organizationName: 'Dept',
    organizationCode: user.organizationCode ?? '123456789',
    tenant: user.tenant,
    projectName: 'huaiweitest',
  };
}

/**
 * oidc-provider warns (on stderr) when it runs on its built-in development keys or its built-in
 * in-memory store. Each process makes signing keys of its own, once, and keeps the in-memory store,
 * which is what a provider that forgets everything when it stops wants: as a subclass the provider
 * no longer takes it for the forgotten default.
 */
let jwks: { keys: object[] } | undefined;
const signingKeys = () => (jwks ??= { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), use: 'sig' }] });
class InMemoryStore extends MemoryAdapter {}

/**
 * A signed-in browser asked to sign in as someone else (`login_hint` naming another user) goes
 * through the login again rather than getting the earlier user's code.
 */
function loginPolicy() {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(
    new interactionPolicy.Check('login_hint_other_user', 'login_hint names another user than the one signed in', (ctx) => {
      const hint = ctx.oidc.params.login_hint;
      return Boolean(hint && ctx.oidc.session.accountId && hint !== ctx.oidc.session.accountId);
    }),
  );
  return policy;
}

export function oneAccessProvider(issuer: string, clients: OneAccessClient[], options: { refreshTokenTtlSeconds?: number } = {}): Provider {
  return new Provider(issuer, {
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [c.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    routes: ROUTES,
    jwks: signingKeys(),
    adapter: InMemoryStore,
    scopes: ['get_user_info'],
    ttl: {
      AccessToken: ONEACCESS_LIFETIMES.accessTokenSeconds,
      AuthorizationCode: 60,
      RefreshToken: options.refreshTokenTtlSeconds ?? ONEACCESS_LIFETIMES.refreshTokenSeconds,
      Grant: 31 * 86400,
      Interaction: 600,
      Session: 31 * 86400,
    },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // OneAccess does not document PKCE; koobridge sends a challenge, which the provider then checks.
    pkce: { required: () => false },
    features: { devInteractions: { enabled: false }, resourceIndicators: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}${interaction.uid}`, policy: loginPolicy() },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    // No consent page: the grant covers whatever the client asked for.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope(ctx.oidc.params!.scope as string);
      await grant.save();
      return grant;
    },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
}

/** Clears the browser's session at the IdP: it is signed in as nobody there. */
export function forgetIdpSession(res: ServerResponse): void {
  res.setHeader('set-cookie', ['_session', '_session.sig', '_session.legacy', '_session.legacy.sig'].map((c) => `${c}=; Path=/; Max-Age=0`));
}

/** OneAccess's authorize takes no scope as `get_user_info` (spec §6.3.1); oidc-provider insists on one. */
export function defaultScope(req: IncomingMessage): void {
  const url = new URL(req.url!, 'http://idp');
  if (url.pathname !== ONEACCESS_PATHS.authorize || url.searchParams.has('scope')) return;
  url.searchParams.set('scope', 'get_user_info');
  req.url = url.pathname + url.search;
}

/**
 * The two OneAccess endpoints the provider does not answer as OneAccess does: userinfo (no `sub`;
 * the provider's own needs the openid scope) and logout (a plain GET with `redirect_url`). Answers
 * them and returns true, or returns false for the provider to answer.
 */
export async function answerOneAccess(provider: Provider, users: ReadonlyMap<string, OneAccessUser>, req: IncomingMessage, res: ServerResponse, onLogout?: () => void): Promise<boolean> {
  const url = new URL(req.url!, 'http://idp');
  if (req.method !== 'GET') return false;
  if (url.pathname === ONEACCESS_PATHS.userinfo) {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const at = token ? await provider.AccessToken.find(token) : undefined;
    const user = at && users.get(at.accountId);
    res.setHeader('content-type', 'application/json');
    if (!user) {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: 'unauthorized', error_description: 'Full authentication is required to access this resource' }));
      return true;
    }
    res.end(JSON.stringify(oneAccessUserinfo(user)));
    return true;
  }
  // OneAccess's logout (spec §6.3.5): ends the IdP's session and sends the browser to redirect_url.
  if (url.pathname === ONEACCESS_PATHS.logout) {
    const back = url.searchParams.get('redirect_url');
    onLogout?.();
    res.statusCode = back ? 302 : 200;
    forgetIdpSession(res);
    if (back) res.setHeader('location', back);
    res.end();
    return true;
  }
  return false;
}
