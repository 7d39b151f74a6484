import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRuntime, type Runtime } from './runtime.js';
import type { Config } from './config/index.js';
import { migrateLatest } from './store/migrate.js';
import { createApp } from './http/app.js';
import { startJobs } from './jobs/index.js';
import { features } from './features.js';

export interface RunningServer {
  rt: Runtime;
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Migrates, then serves. Used by main.ts, the tests and the benchmarks alike. */
export async function startServer(config: Config, options: { jobs?: boolean; rt?: Runtime } = {}): Promise<RunningServer> {
  const rt = options.rt ?? createRuntime(config);
  await migrateLatest(rt.db);
  for (const f of features) f.setup?.(rt);
  const app = createApp(rt, features.flatMap((f) => f.routers ?? []));
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const tasks = options.jobs === false ? [] : startJobs(rt, features.flatMap((f) => f.jobs ?? []));
  const port = (server.address() as AddressInfo).port;
  return {
    rt,
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const t of tasks) await t.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await rt.db.destroy();
    },
  };
}
