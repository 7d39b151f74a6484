import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { renderView } from '../http/views.js';
import { ONEACCESS_PATHS } from '../sso/clients.js';
import { answerOneAccess, defaultScope, forgetIdpSession, INTERACTION_PATH, oneAccessProvider, type OneAccessClient, type OneAccessUser } from './oneAccess.js';

/**
 * `koobridge dev-idp`: the tenant's OneAccess on a laptop. A login page lets you pick who signs in
 * (no passwords: it is for development only), and `login_hint=<userName>` on the authorize request
 * signs that user in without the page, for scripts and tests.
 */

export interface DevIdpOptions {
  host?: string;
  /** 0: any free port. */
  port?: number;
  clients: OneAccessClient[];
  users: OneAccessUser[];
}

export interface DevIdp {
  /** The issuer, which is also what tenantSync sends as the tenant's domainName. */
  url: string;
  provider: Provider;
  users: ReadonlyMap<string, OneAccessUser>;
  stop(): Promise<void>;
}

export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const provider = oneAccessProvider(url, options.clients);
  const users = new Map(options.users.map((u) => [u.userName, u]));
  const clientIds = options.clients.map((c) => c.clientId).join(', ');
  const callback = provider.callback();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const answer = async () => {
      if (await answerOneAccess(provider, users, req, res)) return;
      if (new URL(req.url!, url).pathname.startsWith(INTERACTION_PATH)) return signIn(provider, url, users, clientIds, req, res);
      defaultScope(req);
      await callback(req, res);
    };
    answer().catch((err: Error) => {
      // An expired or foreign interaction (its cookie gone): start again from the application.
      res.statusCode = (err as { statusCode?: number }).statusCode ?? 500;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end(`dev IdP: ${err.message}; start the sign-in again from the application\n`);
    });
  });

  return {
    url,
    provider,
    users,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The login interaction: the hinted user at once, else the page to pick one, whose form posts back
 * here. A browser signed in as someone else (login_hint named another user) is signed out and its
 * authorize request started again, so it signs in afresh rather than switching sessions midway.
 */
async function signIn(provider: Provider, issuer: string, users: ReadonlyMap<string, OneAccessUser>, clientId: string, req: IncomingMessage, res: ServerResponse) {
  const details = await provider.interactionDetails(req, res);
  if (details.session?.accountId) {
    const params = Object.entries(details.params).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
    forgetIdpSession(res);
    res.statusCode = 303;
    res.setHeader('location', `${issuer}${ONEACCESS_PATHS.authorize}?${new URLSearchParams(params)}`);
    res.end();
    return;
  }
  const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
  const chosen = req.method === 'POST' ? new URLSearchParams(await bodyText(req)).get('userName') : hint;
  if (chosen && users.has(chosen)) {
    await provider.interactionFinished(req, res, { login: { accountId: chosen } }, { mergeWithLastSubmission: false });
    return;
  }
  res.statusCode = chosen ? 400 : 200;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(renderView('devIdp/login', { clientId, users: [...users.values()], unknownHint: chosen, action: `${INTERACTION_PATH}${details.uid}` }));
}

async function bodyText(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 10_000) throw Object.assign(new Error('form too large'), { statusCode: 413 });
  }
  return text;
}
