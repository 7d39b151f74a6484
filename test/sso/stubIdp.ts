import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { oneAccessUserinfo, type OneAccessUser } from '../../src/devIdp/oneAccess.js';

/**
 * A small hand-made OneAccess look-alike: token endpoint (client_secret_post only, single-use
 * codes, rotating refresh tokens) and a userinfo whose body has no `sub`, exactly the fields of
 * spec §6.3.4. Used where oidc-provider cannot play the real IdP's quirks, and by the benchmarks.
 */

/** Someone the stub signs in, with what its userinfo says of them (no `sub`, like OneAccess). */
export type StubUser = OneAccessUser;

export interface StubIdp {
  url: string;
  /** What the unified login page would hand over after `user` signed in. */
  issueCode(user: StubUser): string;
  /** Tokens as if `user` had just signed in (for benchmarks that need many sessions at once). */
  grant(user: StubUser): { access_token: string; refresh_token: string; expires_in: number };
  /** Replace the userinfo body (e.g. to drop a field). */
  userinfoOverride?: (user: StubUser) => unknown;
  /** Milliseconds each endpoint waits before answering (a remote IdP's latency). */
  latencyMs: number;
  calls: { token: number; refresh: number; userinfo: number; badClientAuth: number };
  stop(): Promise<void>;
}

export async function startStubIdp(client: { clientId: string; clientSecret: string }): Promise<StubIdp> {
  const codes = new Map<string, StubUser>();
  const refreshTokens = new Map<string, StubUser>();
  const accessTokens = new Map<string, StubUser>();
  const token = () => randomBytes(24).toString('base64url');
  const issueTokens = (user: StubUser) => {
    const access = token();
    const refresh = token();
    accessTokens.set(access, user);
    refreshTokens.set(refresh, user);
    return { access_token: access, token_type: 'Bearer', expires_in: 7200, refresh_token: refresh, scope: 'get_user_info' };
  };

  const app = new Koa();
  const stub: StubIdp = {
    url: '',
    latencyMs: 0,
    calls: { token: 0, refresh: 0, userinfo: 0, badClientAuth: 0 },
    grant: issueTokens,
    issueCode(user) {
      const code = token();
      codes.set(code, user);
      return code;
    },
    stop: async () => {},
  };

  app.use(async (ctx) => {
    if (stub.latencyMs) await new Promise((r) => setTimeout(r, stub.latencyMs));
    if (ctx.method === 'POST' && ctx.path === '/api/v1/oauth2/token') {
      const form = new URLSearchParams(await getRawBody(ctx.req, { encoding: 'utf8', limit: '64kb' }));
      ctx.type = 'json';
      // client_secret_post: credentials in the form body, never in an Authorization header.
      if (ctx.get('authorization') || form.get('client_id') !== client.clientId || form.get('client_secret') !== client.clientSecret) {
        stub.calls.badClientAuth++;
        ctx.status = 401;
        ctx.body = { error: 'invalid_client', error_description: 'Bad client credentials' };
        return;
      }
      const grant = form.get('grant_type');
      const store = grant === 'authorization_code' ? codes : grant === 'refresh_token' ? refreshTokens : undefined;
      const presented = form.get(grant === 'authorization_code' ? 'code' : 'refresh_token') ?? '';
      const user = store?.get(presented);
      if (!store || !user) {
        ctx.status = 400;
        ctx.body = { error: 'invalid_grant', error_description: grant === 'refresh_token' ? 'Invalid refresh token' : 'Invalid authorization code' };
        return;
      }
      store.delete(presented); // codes are single-use, refresh tokens rotate
      stub.calls[grant === 'authorization_code' ? 'token' : 'refresh']++;
      ctx.body = issueTokens(user);
      return;
    }
    if (ctx.method === 'GET' && ctx.path === '/api/v1/oauth2/userinfo') {
      stub.calls.userinfo++;
      const user = accessTokens.get(/^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1] ?? '');
      ctx.type = 'json';
      if (!user) {
        ctx.status = 401;
        ctx.body = { error: 'unauthorized', error_description: 'Full authentication is required to access this resource' };
        return;
      }
      ctx.body = stub.userinfoOverride?.(user) ?? oneAccessUserinfo(user);
      return;
    }
    ctx.status = 404;
  });

  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  server.keepAliveTimeout = 65_000;
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return stub;
}
