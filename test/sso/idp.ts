import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { ONEACCESS_PATHS } from '../../src/sso/clients.js';
import { answerOneAccess, INTERACTION_PATH, oneAccessProvider, type OneAccessClient, type OneAccessUser } from '../../src/devIdp/oneAccess.js';

/**
 * A real OAuth2 server on loopback: the dev IdP's OneAccess look-alike (oidc-provider at the
 * OneAccess paths, spec §6.3), with faults a test can switch on. The login interaction finishes at
 * once as `loginAs` (deterministic, no HTML to parse).
 */

export type IdpAccount = OneAccessUser;
export type IdpClient = OneAccessClient;

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

export async function startLoopbackIdp(clients: IdpClient[], options: { refreshTokenTtlSeconds?: number } = {}): Promise<LoopbackIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, IdpAccount>();

  const provider = oneAccessProvider(url, clients, { refreshTokenTtlSeconds: options.refreshTokenTtlSeconds });

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
      return idp.follow(`${url}${ONEACCESS_PATHS.authorize}?${q}`);
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
  if (path === ONEACCESS_PATHS.token) {
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
  if (await answerOneAccess(idp.provider, idp.accounts, req, res, () => idp.events.logouts++)) return;
  if (path.startsWith(INTERACTION_PATH)) {
    const accountId = idp.loginAs;
    if (!idp.accounts.has(accountId)) throw new Error(`loopback IdP: no account "${accountId}" to log in as`);
    await idp.provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    return;
  }
  await callback(req, res);
}
