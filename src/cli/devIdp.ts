import { readFileSync } from 'node:fs';
import { styleText } from 'node:util';
import { InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import type { RegisterCommand } from './commands.js';
import { DEMO_CLIENT, DEMO_TENANT, demoIdpUsers } from '../devIdp/demoDirectory.js';
import { startDevIdp, type DevIdp } from '../devIdp/devIdp.js';
import type { OneAccessUser } from '../devIdp/oneAccess.js';

export const DEVELOPMENT_ONLY = 'for development only: anyone who reaches it signs in as anyone, and it forgets everything when it stops';

const usersFile = z.array(
  z.object({
    userName: z.string().min(1).max(64),
    name: z.string().max(64).optional(),
    tenant: z.string().max(64).optional(),
    role: z.string().max(32).optional(),
    organizationCode: z.string().max(64).optional(),
  }),
);

/** A --port value: 0 (any free port) to 65535. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('expected a port number from 0 (any free one) to 65535');
  return port;
}

/** `userName[:name[:role[:organizationCode]]]`, the --user form. */
function parseUser(spec: string, previous: OneAccessUser[] = []): OneAccessUser[] {
  const [userName, name, role, organizationCode] = spec.split(':');
  if (!userName) throw new InvalidArgumentError('expected userName[:name[:role[:organizationCode]]]');
  return [...previous, { userName, name: name || userName, role: role || undefined, organizationCode: organizationCode || undefined }];
}

function readUsers(path: string): OneAccessUser[] {
  let parsed;
  try {
    parsed = usersFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path}: [${issue.path.join('].')}: ${issue.message} (expected [{"userName", "name", "tenant", "role", "organizationCode"}, …])`);
  }
  return parsed.data.map((u) => ({ ...u, name: u.name ?? u.userName }));
}

/** Lines saying what the dev IdP is and how to point koobridge at it, shared with `koobridge demo`. */
export function devIdpLines(idp: DevIdp, clientId: string): string[] {
  const warn = (s: string) => (process.stdout.isTTY ? styleText(['bold', 'yellow'], s) : s);
  return [
    warn(`koobridge dev IdP: ${DEVELOPMENT_ONLY}.`),
    `  OneAccess at ${idp.url} (tenantSync's domainName; koobridge needs SSO_ALLOW_HTTP=true for http://)`,
    `  client ${clientId}; users: ${[...idp.users.values()].map((u) => `${u.userName} (${u.role ?? 'user'}, tenant ${u.tenant ?? '-'})`).join(', ')}`,
    `  login_hint=<userName> on the authorize request signs that user in without the page`,
  ];
}

export const registerDevIdp: RegisterCommand = (program) => {
  program
    .command('dev-idp')
    .description(`a local OAuth2 server at the OneAccess paths, as the tenant's IdP (${DEVELOPMENT_ONLY})`)
    .option('--port <port>', 'port to listen on (0: any free one)', parsePort, 4000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--client-id <id>', "the app's clientId, as applicationSync sends it", DEMO_CLIENT.clientId)
    .option('--client-secret <secret>', "the app's clientSecret (plaintext)", DEMO_CLIENT.clientSecret)
    .option('--redirect-uri <url>', "koobridge's callback: PUBLIC_URL/sso/callback", 'http://localhost:3000/sso/callback')
    .option('--tenant <tenantId>', "the tenant of users that name none (userinfo's tenant)", DEMO_TENANT.tenantId)
    .addOption(new Option('--user <spec>', 'a user who can sign in: userName[:name[:role[:organizationCode]]] (repeatable)').argParser(parseUser))
    .option('--users <file>', 'a JSON file of users: [{"userName", "name", "tenant", "role", "organizationCode"}]')
    .option('--json', 'print what it serves as one JSON line')
    .addHelpText('after', '\nWithout --user or --users: the people `koobridge demo` syncs (zhangsan, admin; lisi, user).')
    .action(async (opts: { port: number; host: string; clientId: string; clientSecret: string; redirectUri: string; tenant: string; user?: OneAccessUser[]; users?: string; json?: boolean }) => {
      let idp: DevIdp;
      let users: OneAccessUser[];
      try {
        const listed = [...(opts.users ? readUsers(opts.users) : []), ...(opts.user ?? [])];
        users = (listed.length > 0 ? listed : demoIdpUsers(opts.tenant)).map((u) => ({ ...u, tenant: u.tenant ?? opts.tenant }));
        idp = await startDevIdp({
          host: opts.host,
          port: opts.port,
          clients: [{ clientId: opts.clientId, clientSecret: opts.clientSecret, redirectUri: opts.redirectUri }],
          users,
        });
      } catch (err) {
        // A port taken, a users file that does not parse: one line, no stack.
        console.error(`koobridge dev-idp: ${(err as Error).message}`);
        process.exitCode = 1;
        return;
      }
      if (opts.json) {
        console.log(JSON.stringify({ url: idp.url, clientId: opts.clientId, redirectUri: opts.redirectUri, users, warning: `koobridge dev IdP: ${DEVELOPMENT_ONLY}` }));
      } else {
        console.log(devIdpLines(idp, opts.clientId).join('\n'));
        console.log(`  redirect URI ${opts.redirectUri}; Ctrl-C stops it`);
      }
      stopOnSignal(() => idp.stop());
    });
};

/** Ctrl-C (or SIGTERM) runs `stop` once, then exits 0; a stop that fails exits 1. */
export function stopOnSignal(stop: () => Promise<unknown>): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (err) => {
        console.error(`koobridge: stopping failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
