import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRuntime, type Runtime } from './runtime.js';
import { defaultPublicUrl, type Config } from './config/index.js';
import { migrateLatest } from './store/migrate.js';
import { createApp, type RouteInfo } from './http/app.js';
import { startJobs } from './jobs/index.js';
import { features } from './features.js';

export interface RunningServer {
  rt: Runtime;
  server: Server;
  /** Every route the app registered (method and path), for the tests that walk them. */
  routes: RouteInfo[];
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Migrates, then serves. Used by main.ts, the tests and the benchmarks alike. */
export async function startServer(config: Config, options: { jobs?: boolean; rt?: Runtime } = {}): Promise<RunningServer> {
  const rt = options.rt ?? createRuntime(config);
  await migrateLatest(rt.db);
  for (const f of features) f.setup?.(rt);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  // An ephemeral port (tests, benchmarks) is known only once listening; the app is built after it.
  if (!config.publicUrl) config.publicUrl = defaultPublicUrl(config.host, port);
  const app = createApp(rt, features.flatMap((f) => f.routers ?? []));
  server.on('request', app.callback());
  const tasks = options.jobs === false ? [] : startJobs(rt, features.flatMap((f) => f.jobs ?? []));
  return {
    rt,
    server,
    routes: app.routes,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const t of tasks) await t.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      if (rt.reads !== rt.db) await rt.reads.destroy();
      await rt.db.destroy();
    },
  };
}
