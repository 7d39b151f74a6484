import { ConfigError, loadConfig, productionAddress } from './config/index.js';
import { sellerCentrePublicKey } from './config/devKeys.js';
import { startServer } from './server.js';

async function main() {
  const config = loadConfig();
  const running = await startServer(config);
  const { rt, port } = running;
  const base = productionAddress(config);
  const origin = config.publicUrl;
  const lines = [
    `koobridge listening on ${config.host}:${port} (store: ${config.databaseUrl ? 'MySQL' : `SQLite under ${config.dataDir}/`})`,
    `Register in the seller centre (生产地址管理):`,
    `  production address (basic interfaces): ${base}`,
    `  kit interfaces are called at:          ${base}/produceAPI/v2/{tenantSync,applicationSync,authSync,singleOrgSync,allOrgSync}`,
    `  RSA public key for the app credential: ${sellerCentrePublicKey(config.rsaPrivateKeyPem)}`,
    `  callback URL of the app credential:    ${origin}/sso/callback`,
    `Directory API: ${origin}/api/v1/tenants (Authorization: Bearer <API_TOKEN>)`,
  ];
  if (!config.appOrigin) {
    lines.push(
      `APP_ORIGIN is not set: after sign-in people land on koobridge's own page ${origin}/sso/account, with no link to the application.` +
        (config.nodeEnv === 'production' ? ' Set APP_ORIGIN to the application\'s address before going live.' : ''),
    );
  }
  if (config.generatedKeys.length > 0) {
    lines.push(`Development keys generated now and kept in ${config.dataDir}/dev-keys.json (set them in the environment for production):`);
    for (const k of config.generatedKeys) lines.push(`  ${k.variable}: ${k.display}`);
  }
  console.log(lines.join('\n'));

  const stop = async (signal: string) => {
    rt.log.info({ signal }, 'shutting down');
    await running.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `koobridge: ${err.message}` : err);
  process.exit(1);
});
