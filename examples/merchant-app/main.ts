import { configFromEnv, startMerchantApp } from './app.js';

// `npx tsx examples/merchant-app/main.ts`, configured by the environment (see this folder's README).
try {
  const app = await startMerchantApp(configFromEnv(process.env));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
} catch (err) {
  console.error(`merchant app: ${(err as Error).message}`);
  process.exit(1);
}
