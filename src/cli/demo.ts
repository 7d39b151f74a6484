import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegisterCommand } from './commands.js';
import { devIdpLines, parsePort, stopOnSignal } from './devIdp.js';
import { loadConfig, type Config } from '../config/index.js';
import { signedCallRequest } from '../marketplace/signing.js';
import { marketplaceTimeOf } from '../marketplace/validation.js';
import { callbackUrl } from '../sso/urls.js';
import { startServer, type RunningServer } from '../server.js';
import { DEMO_CLIENT, DEMO_DEPARTMENTS, DEMO_TENANT, DEMO_USERS, demoIdpUsers } from '../devIdp/demoDirectory.js';
import { startDevIdp, type DevIdp } from '../devIdp/devIdp.js';

/**
 * `koobridge demo`: the whole product on a laptop. koobridge on SQLite and a dev IdP, an instance
 * bought and a directory synced through the real marketplace calls, then the address to sign in at.
 */

const DEMO_APP_ID = 'koobridge-demo-app';

interface DemoOptions {
  port: number;
  idpPort: number;
  dataDir?: string;
  json?: boolean;
}

/** Calls koobridge signed with its own keys, exactly as the marketplace signs them (spec §3). */
function marketplace(origin: string, config: Config) {
  const base = origin + config.marketplaceBasePath;
  const post = async (channel: 'kit' | 'basic', call: string, body: object, key: string) => {
    const raw = JSON.stringify(body);
    const { url, headers } = signedCallRequest(channel, base, call, raw, { key, nonce: randomBytes(32).toString('hex').toUpperCase(), timestamp: String(Date.now()) });
    const res = await fetch(url, { method: 'POST', headers, body: raw });
    const answer = (await res.json().catch(() => ({}))) as { resultCode?: string; resultMsg?: string; instanceId?: string };
    if (answer.resultCode !== '000000') throw new Error(`${call} was refused: HTTP ${res.status} ${answer.resultCode} ${answer.resultMsg ?? ''}`);
    return answer;
  };
  return {
    basic: (body: { activity: string } & Record<string, unknown>) => post('basic', body.activity, body, config.basicAccessKey),
    kit: (call: string, body: object) => post('kit', call, body, config.kitAccessKey),
  };
}

/** What the marketplace sends after an enterprise bought the product and its admin authorized two people. */
async function syncDemoDirectory(origin: string, config: Config, idpUrl: string): Promise<string> {
  const call = marketplace(origin, config);
  const order = { orderId: 'CS-KOOBRIDGE-DEMO', orderLineId: 'CS-KOOBRIDGE-DEMO-000001', businessId: 'koobridge-demo-business' };
  const { instanceId } = await call.basic({ activity: 'newInstance', ...order, testFlag: '1' });
  const common = { instanceId: instanceId!, tenantId: DEMO_TENANT.tenantId, testFlag: 1 };
  const now = () => marketplaceTimeOf(Date.now());
  await call.kit('tenantSync', { ...common, orderId: order.orderId, tenantCode: DEMO_TENANT.tenantCode, name: DEMO_TENANT.name, domainName: idpUrl, flag: 1, timeStamp: now() });
  // The marketplace encrypts the clientSecret with the public key registered for the app credential.
  const clientSecret = publicEncrypt(
    { key: createPublicKey(config.rsaPrivateKeyPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    Buffer.from(DEMO_CLIENT.clientSecret),
  ).toString('base64');
  await call.kit('applicationSync', { ...common, appId: DEMO_APP_ID, clientId: DEMO_CLIENT.clientId, clientSecret, flag: 1, timeStamp: now() });
  const syncTime = now();
  const userList = DEMO_USERS.map((u) => ({ ...u, position: '', employeeCode: '', enable: 'true', mobile: '', email: '' }));
  await call.kit('authSync', { ...common, appId: DEMO_APP_ID, userList, currentSyncTime: syncTime, flag: 1, timeStamp: syncTime });
  await call.kit('allOrgSync', { ...common, orgInfoList: DEMO_DEPARTMENTS, timeStamp: now() });
  return instanceId!;
}

export const registerDemo: RegisterCommand = (program) => {
  program
    .command('demo')
    .description('koobridge on SQLite with a dev IdP, a directory synced as the marketplace would, and the address to sign in at (for development only)')
    .option('--port <port>', "koobridge's port (0: any free one)", parsePort, 3000)
    .option('--idp-port <port>', "the dev IdP's port (0: any free one)", parsePort, 4000)
    .option('--data-dir <dir>', 'keep the SQLite store and development keys here (default: a temporary folder, removed at exit)')
    .option('--json', 'print the addresses as one JSON line')
    .action(async (opts: DemoOptions) => {
      const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'koobridge-demo-'));
      const removeDataDir = () => opts.dataDir === undefined && rmSync(dataDir, { recursive: true, force: true });
      if (!opts.json) console.log(`koobridge demo: starting the server on SQLite in ${dataDir} (the first start makes an RSA key: a few seconds)…`);
      let config: Config;
      let running: RunningServer | undefined;
      let idp: DevIdp | undefined;
      const stop = async () => {
        await idp?.stop();
        await running?.close();
        removeDataDir();
      };
      let instanceId: string;
      try {
        // Only what the demo decides: nothing from the shell's environment points it at another database or address.
        config = loadConfig({
          NODE_ENV: 'development',
          HOST: '127.0.0.1',
          PORT: String(opts.port),
          DATA_DIR: dataDir,
          // The dev IdP serves plain http:// on this machine.
          SSO_ALLOW_HTTP: 'true',
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        });
        running = await startServer(config);
        idp = await startDevIdp({ port: opts.idpPort, clients: [{ ...DEMO_CLIENT, redirectUri: callbackUrl(config) }], users: demoIdpUsers() });
        instanceId = await syncDemoDirectory(running.url, config, idp.url);
      } catch (err) {
        // A port taken, a refused call: said in one line, and nothing left behind. The exit also ends
        // what a failed start leaves open (a server that could not listen keeps its database).
        console.error(`koobridge demo: ${(err as Error).message}`);
        await stop();
        process.exit(1);
      }
      stopOnSignal(stop);

      const origin = config.publicUrl;
      const tenantId = DEMO_TENANT.tenantId;
      const signInUrl = `${origin}/sso/login?instanceId=${encodeURIComponent(instanceId)}`;
      const bearer = `Authorization: Bearer ${config.apiToken}`;
      const look = {
        session: `${origin}/sso/session`,
        directory: `${origin}/api/v1/tenants/${tenantId}/users?instanceId=${encodeURIComponent(instanceId)}`,
        departments: `${origin}/api/v1/tenants/${tenantId}/departments?instanceId=${encodeURIComponent(instanceId)}`,
        events: `${origin}/api/v1/events`,
      };
      if (opts.json) {
        console.log(JSON.stringify({ signInUrl, koobridge: origin, idp: idp.url, instanceId, tenantId, users: DEMO_USERS, apiToken: config.apiToken, dataDir, ...look }));
        return;
      }
      console.log(
        [
          `koobridge listening at ${origin} (store: SQLite file ${config.sqliteFile})`,
          ...devIdpLines(idp, DEMO_CLIENT.clientId),
          `Sent as the marketplace would, all answered 000000: newInstance (instance ${instanceId}), tenantSync (domainName ${idp.url}),`,
          `  applicationSync (clientSecret RSA-OAEP-encrypted to koobridge's public key), authSync (${DEMO_USERS.map((u) => `${u.userName} ${u.role}`).join(', ')}), allOrgSync (${DEMO_DEPARTMENTS.length} departments).`,
          '',
          `Sign in: open ${signInUrl}`,
          `  and pick ${DEMO_USERS.map((u) => u.userName).join(' or ')} at the dev IdP (a script adds login_hint=<userName> to the IdP address it is sent to).`,
          'Then look at:',
          `  who is signed in (same browser): ${look.session}`,
          `  the directory:  curl -H '${bearer}' '${look.directory}'`,
          `                  curl -H '${bearer}' '${look.departments}'`,
          `  what changed:   curl -H '${bearer}' '${look.events}'`,
          'Ctrl-C stops both.',
        ].join('\n'),
      );
    });
};
