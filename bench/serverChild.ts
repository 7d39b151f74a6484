/**
 * A server under test, run in its own process by bench/lib.ts: the parent sends what to start
 * (koobridge on a fresh MySQL schema, or the bare koa baseline), we answer with its address, and
 * stop on 'stop' (or when the parent goes away).
 */
import Koa from 'koa';
import getRawBody from 'raw-body';
import type { AddressInfo } from 'node:net';
import type { ChildServerSpec } from './lib.js';
import { startTestServer } from '../test/helpers/server.js';
import { testRsa } from '../test/helpers/keys.js';

async function bareKoa() {
  const app = new Koa();
  app.use(async (ctx) => {
    const body = JSON.parse(await getRawBody(ctx.req, { encoding: 'utf8', limit: '1mb' }));
    ctx.body = { resultCode: '000000', resultMsg: 'Success', orgCode: body.orgCode };
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  server.keepAliveTimeout = 65_000;
  return {
    ready: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, basePath: '' },
    stop: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

async function koobridge(spec: Extract<ChildServerSpec, { kind: 'koobridge' }>) {
  const s = await startTestServer('mysql', spec.env, spec.mysqlUrl);
  const rsaPublicPem = testRsa().publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const ready = { url: s.url, basePath: s.rt.config.marketplaceBasePath, databaseUrl: s.rt.config.databaseUrl, rsaPublicPem };
  return { ready, stop: () => s.stop() };
}

process.once('message', async (spec: ChildServerSpec) => {
  try {
    const running = spec.kind === 'bareKoa' ? await bareKoa() : await koobridge(spec);
    const stop = async () => {
      await running.stop();
      process.exit(0);
    };
    process.on('message', (m) => m === 'stop' && void stop());
    process.once('disconnect', () => void stop());
    process.send!(running.ready);
  } catch (err) {
    process.send!({ error: err instanceof Error ? err.stack ?? err.message : String(err) });
    process.exit(1);
  }
});
