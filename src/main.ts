import { reportStartupFailure, isDevelopment, loadConfig, productionAddress, type Config } from './config/index.js';
import { sellerCentrePublicKey } from './config/devKeys.js';
import { SETTINGS } from './config/settings.js';
import { startServer } from './server.js';
import { describe } from './log.js';

const RSA_KEY = SETTINGS.rsaPrivateKeyPem;

async function main() {
  const config = loadConfig();
  const running = await startServer(config);
  const { rt, port } = running;
  // Before the banner says it listens: whoever reads that may signal at once (a platform, a test).
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const limit = config.shutdownTimeoutSeconds;
    rt.log.info({ signal, inFlight: running.inFlight(), timeoutSeconds: limit }, 'shutting down');
    // The platform kills the process soon after its grace period; better to go on our own terms.
    setTimeout(() => {
      rt.log.warn({ inFlight: running.inFlight(), timeoutSeconds: limit }, 'shutdown took longer than SHUTDOWN_TIMEOUT_SECONDS: exiting now');
      process.exit(1);
    }, limit * 1000).unref();
    try {
      await running.close();
    } catch (err) {
      rt.log.error({ err: describe(err) }, 'shutdown failed');
      process.exit(1);
    }
    rt.log.info('stopped');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stop(signal));
  const base = productionAddress(config);
  const origin = config.publicUrl;
  const store = config.databaseUrl ? 'MySQL' : `SQLite file ${config.sqliteFile}`;
  const listening = `koobridge listening on ${config.host}:${port}`;
  const addresses = {
    productionAddress: base,
    kitAddress: `${base}/produceAPI/v2/{tenantSync,applicationSync,authSync,singleOrgSync,allOrgSync}`,
    rsaPublicKey: sellerCentrePublicKey(config.rsaPrivateKeyPem),
    callbackUrl: `${origin}/sso/callback`,
    directoryApi: `${origin}/api/v1/tenants`,
  };
  const landing = `APP_ORIGIN is not set: after sign-in people land on koobridge's own page ${origin}/sso/account, with no link to the application.`;
  if (!isDevelopment(config.nodeEnv)) {
    // In production stdout is a JSON log stream: the banner is log lines too, its facts as fields.
    if (!config.appOrigin) rt.log.warn(`${landing} Set APP_ORIGIN to the application's address before going live.`);
    rt.log.info({ store, ...addresses }, `${listening} (store: ${store})`);
  } else {
    console.log(developmentBanner(config, `${listening} (store: ${store})`, addresses, config.appOrigin ? undefined : landing));
  }
}

/** What a developer needs to set up the seller centre, as plain lines, with the keys generated for them. */
function developmentBanner(config: Config, listening: string, a: Record<string, string>, landing: string | undefined): string {
  const lines = [
    listening,
    `Register in the seller centre (生产地址管理):`,
    `  production address (basic interfaces): ${a.productionAddress}`,
    `  kit interfaces are called at:          ${a.kitAddress}`,
    `  RSA public key for the app credential: ${a.rsaPublicKey}`,
    `  callback URL of the app credential:    ${a.callbackUrl}`,
    `Directory API: ${a.directoryApi} (Authorization: Bearer <API_TOKEN>)`,
  ];
  if (landing) lines.push(landing);
  if (config.generatedKeys.length > 0) {
    lines.push(`Development keys generated now and kept in ${config.dataDir}/dev-keys.json (set them in the environment for production):`);
    for (const k of config.generatedKeys) {
      // The RSA key's public half is the "RSA public key" line above; printed again under the private
      // key's variable, it read as if that variable took a public key.
      lines.push(
        k.variable === RSA_KEY.fileVariable
          ? `  ${RSA_KEY.variable}: a new private key, kept in that file; its public key is the "RSA public key for the app credential" above (in production, name a PEM file in ${RSA_KEY.fileVariable})`
          : `  ${k.variable}: ${k.display}`,
      );
    }
  }
  return lines.join('\n');
}

main().catch((err) => {
  reportStartupFailure(err);
  process.exit(1);
});
