import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import { oneAccessUserinfo, type StubUser } from './stubIdp.js';

/**
 * A real OAuth2 server on loopback: panva's oidc-provider mounted at the OneAccess paths (spec §6.3),
 * access tokens of 7200 s, refresh tokens of 30 days, rotated on every use. The login interaction
 * finishes at once as `loginAs` (deterministic, no HTML to parse); the grant is given without a
 * consent page. Userinfo answers like OneAccess: the token is checked by the provider, the body has
 * no `sub`.
 */

export type IdpAccount = StubUser;

export interface IdpClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface LoopbackIdp {
  url: string;
  provider: Provider;
  accounts: Map<string, IdpAccount>;
  /** Who the next login interaction signs in as. */
  loginAs: string;
  /** Extra delay (ms) before the token endpoint answers, to play a slow IdP. */
  tokenDelayMs: number;
  /** When true the token endpoint drops the connection without an answer. */
  tokenDown: boolean;
  /** When true the token endpoint does its work (a refresh rotates the token) but its answer never arrives. */
  tokenAnswerLost: boolean;
  /** When true the token endpoint takes the request and never answers (a hung IdP); nothing is done. */
  tokenHung: boolean;
  /** Counters of what the provider did. */
  events: { refreshes: number; codeExchanges: number; grantsRevoked: number; grantErrors: string[]; logouts: number; tokenRequests: number };
  /** Plays the marketplace's unified login page: authorize as `loginAs`, return the redirect with the code. */
  authorize(client: IdpClient, params?: Record<string, string>): Promise<URL>;
  /** Follows an authorize URL our server redirected to, like the browser would; returns the redirect back. */
  follow(authorizeUrl: string): Promise<URL>;
  stop(): Promise<void>;
}

export const ONEACCESS_ROUTES = {
  authorization: '/api/v1/oauth2/authorize',
  token: '/api/v1/oauth2/token',
  userinfo: '/api/v1/oauth2/userinfo',
  end_session: '/api/v1/logout',
};

/**
 * oidc-provider warns (on stderr, once per provider) when it runs on its built-in development keys
 * or its built-in in-memory store. A test IdP gets signing keys of its own, made once per test run,
 * and keeps the in-memory store, which is what a provider living for one test wants: as a subclass
 * the provider no longer takes it for the forgotten default.
 */
const JWKS = { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), use: 'sig' }] };
class TestStore extends MemoryAdapter {}

export async function startLoopbackIdp(clients: IdpClient[], options: { refreshTokenTtlSeconds?: number } = {}): Promise<LoopbackIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, IdpAccount>();

  const provider = new Provider(url, {
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [c.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    routes: ONEACCESS_ROUTES,
    jwks: JWKS,
    adapter: TestStore,
    scopes: ['get_user_info'],
    ttl: { AccessToken: 7200, AuthorizationCode: 60, RefreshToken: options.refreshTokenTtlSeconds ?? 30 * 86400, Grant: 31 * 86400, Interaction: 600, Session: 31 * 86400 },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    pkce: { required: () => false },
    features: { devInteractions: { enabled: false }, resourceIndicators: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    // No consent page: the grant covers whatever the client asked for.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope(ctx.oidc.params!.scope as string);
      await grant.save();
      return grant;
    },
    cookies: { keys: ['loopback-idp-test-key'] },
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  });

  const idp: LoopbackIdp = {
    url,
    provider,
    accounts,
    loginAs: '',
    tokenDelayMs: 0,
    tokenDown: false,
    tokenAnswerLost: false,
    tokenHung: false,
    events: { refreshes: 0, codeExchanges: 0, grantsRevoked: 0, grantErrors: [], logouts: 0, tokenRequests: 0 },
    async authorize(client, params = {}) {
      const q = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: client.redirectUri, scope: 'get_user_info', ...params });
      return idp.follow(`${url}${ONEACCESS_ROUTES.authorization}?${q}`);
    },
    async follow(authorizeUrl) {
      // The browser's cookies at the IdP, kept for this one authorization only.
      const jar = new Map<string, string>();
      let next = authorizeUrl;
      for (let hop = 0; hop < 10; hop++) {
        const res = await fetch(next, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
        for (const c of res.headers.getSetCookie()) {
          const [pair] = c.split(';');
          const i = pair!.indexOf('=');
          jar.set(pair!.slice(0, i), pair!.slice(i + 1));
        }
        const location = res.headers.get('location');
        if (!location) throw new Error(`IdP answered ${res.status} without a redirect: ${(await res.text()).slice(0, 300)}`);
        const target = new URL(location, next);
        if (target.origin !== url) return target;
        next = target.href;
      }
      throw new Error('too many redirects at the IdP');
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  provider.on('grant.success', (ctx) => {
    if (ctx.oidc.params?.grant_type === 'refresh_token') idp.events.refreshes++;
    else idp.events.codeExchanges++;
  });
  provider.on('grant.revoked', () => idp.events.grantsRevoked++);
  provider.on('grant.error', (_ctx, err) => idp.events.grantErrors.push(`${(err as { error?: string }).error}: ${(err as Error).message}`));

  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void handle(idp, req, res, callback).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  return idp;
}

async function handle(idp: LoopbackIdp, req: IncomingMessage, res: ServerResponse, callback: (req: IncomingMessage, res: ServerResponse) => unknown) {
  const path = new URL(req.url!, idp.url).pathname;
  if (path === ONEACCESS_ROUTES.token) {
    idp.events.tokenRequests++;
    // Left open: the server's closeAllConnections() at stop ends it.
    if (idp.tokenHung) return;
    if (idp.tokenDown) {
      req.socket.destroy();
      return;
    }
    if (idp.tokenDelayMs) {
      await new Promise((r) => setTimeout(r, idp.tokenDelayMs));
      // The caller gave up meanwhile: its request body went with the connection, so there is nothing to answer.
      if (req.destroyed) return;
    }
    if (idp.tokenAnswerLost) {
      // The provider answers through res.end, once it has done the work: the connection is cut there instead.
      res.end = (() => {
        req.socket.destroy();
        return res;
      }) as typeof res.end;
    }
  }
  // OneAccess's logout (spec §6.3.5): ends the IdP's session and sends the browser to redirect_url.
  if (path === ONEACCESS_ROUTES.end_session && req.method === 'GET') {
    const back = new URL(req.url!, idp.url).searchParams.get('redirect_url');
    idp.events.logouts++;
    res.statusCode = back ? 302 : 200;
    res.setHeader('set-cookie', ['_session', '_session.sig', '_session.legacy', '_session.legacy.sig'].map((c) => `${c}=; Path=/; Max-Age=0`));
    if (back) res.setHeader('location', back);
    res.end();
    return;
  }
  if (path.startsWith('/interaction/')) {
    const accountId = idp.loginAs;
    if (!idp.accounts.has(accountId)) throw new Error(`loopback IdP: no account "${accountId}" to log in as`);
    await idp.provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    return;
  }
  // OneAccess's userinfo (no `sub`) answers in front of oidc-provider's own, which needs the openid scope.
  if (path === ONEACCESS_ROUTES.userinfo && req.method === 'GET') {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const at = token ? await idp.provider.AccessToken.find(token) : undefined;
    res.setHeader('content-type', 'application/json');
    if (!at) {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: 'unauthorized', error_description: 'Full authentication is required to access this resource' }));
      return;
    }
    res.end(JSON.stringify(oneAccessUserinfo(idp.accounts.get(at.accountId)!)));
    return;
  }
  await callback(req, res);
}
