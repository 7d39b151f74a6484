import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createRuntime, type Runtime } from './runtime.js';
import { defaultPublicUrl, type Config } from './config/index.js';
import { prepareDatabase } from './store/migrate.js';
import { createApp, type RouteInfo } from './http/app.js';
import { startJobs } from './jobs/index.js';
import { features, publicPaths } from './features.js';

export interface RunningServer {
  rt: Runtime;
  server: Server;
  /** Every route the app registered (method and path), for the tests that walk them. */
  routes: RouteInfo[];
  port: number;
  url: string;
  /** Requests received and not yet answered. */
  inFlight(): number;
  /**
   * Stops gracefully: readiness fails at once, no new connections, requests under way are answered
   * (with `Connection: close`, as is every later request on an open connection), jobs finish the
   * work they hold, webhook sends under way get a moment to be answered (the rest are given back
   * for another replica), then the database is closed. main.ts bounds it by SHUTDOWN_TIMEOUT_SECONDS.
   */
  close(): Promise<void>;
}

/**
 * Tells keep-alive clients, once stopping, to take their next request elsewhere: every answer from
 * then on carries `Connection: close`, connections with nothing under way are closed (idle
 * keep-alive ones, and ones never used, such as a browser's preconnect), and a connection left idle
 * by an answer already under way is closed, so clients that hold connections cannot keep the
 * process up. A connection with a request half received is left to finish it.
 */
function drainer(server: Server) {
  const open = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let draining = false;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (_req, res: ServerResponse) => {
    if (draining) res.setHeader('Connection', 'close');
    open.add(res);
    res.once('close', () => {
      open.delete(res);
      // An answer whose headers went out before the stop began did not say close.
      if (draining) server.closeIdleConnections();
    });
  });
  return {
    inFlight: () => open.size,
    begin() {
      draining = true;
      for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
      server.closeIdleConnections();
      // Node counts a connection as idle only after its first request.
      for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
    },
  };
}

/** Migrates, then serves. Used by main.ts, the tests and the benchmarks alike. */
export async function startServer(config: Config, options: { jobs?: boolean; workers?: boolean; rt?: Runtime } = {}): Promise<RunningServer> {
  const rt = options.rt ?? createRuntime(config);
  await prepareDatabase(rt.db, { waitSeconds: config.startupWaitSeconds, log: rt.log });
  for (const f of features) if (f.onChange) rt.changes.subscribe(f.onChange(rt));
  for (const f of features) await f.onStart?.(rt);
  const server = createServer();
  const drain = drainer(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  // An ephemeral port (tests, benchmarks) is known only once listening; the app is built after it.
  if (!config.publicUrl) config.publicUrl = defaultPublicUrl(config.host, port);
  const app = createApp(rt, features.flatMap((f) => f.routers ?? []), publicPaths(config));
  server.on('request', app.callback());
  const jobs = options.jobs === false ? undefined : startJobs(rt, features.flatMap((f) => f.jobs ?? []));
  const workers = options.workers === false ? [] : await Promise.all(features.flatMap((f) => f.workers ?? []).map((start) => start(rt)));
  return {
    rt,
    server,
    routes: app.routes,
    port,
    url: `http://127.0.0.1:${port}`,
    inFlight: drain.inFlight,
    async close() {
      rt.stopping.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      drain.begin();
      await Promise.all([jobs?.stop(), ...workers.map((w) => w.stop()), closed]);
      if (rt.reads !== rt.db) await rt.reads.destroy();
      await rt.db.destroy();
    },
  };
}
