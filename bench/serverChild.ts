/**
 * A server under test, run in its own process by bench/lib.ts: the parent sends what to start
 * (koobridge on a fresh SQLite file or MySQL schema, or the bare koa baseline), we answer with its
 * address and database, and stop on 'stop' (or when the parent goes away).
 */
import Koa from 'koa';
import getRawBody from 'raw-body';
import type { AddressInfo } from 'node:net';
import type { ChildServerSpec, Ready, ServerDatabase } from './lib.js';
import { startTestServer, type TestServer } from '../test/helpers/server.js';
import { testRsa } from '../test/helpers/keys.js';

const pages = new Map<number, string>();
/** An HTML string of `bytes` characters (ASCII), made once per size. */
function htmlOf(bytes: number): string {
  let page = pages.get(bytes);
  if (page === undefined) {
    const row = '<tr><td>2026-12-02 12:00:00</td><td>kit</td><td>singleOrgSync</td></tr>\n';
    page = `<!doctype html><html><body><table>\n${row.repeat(Math.ceil(bytes / row.length))}`.slice(0, bytes);
    pages.set(bytes, page);
  }
  return page;
}

async function bareKoa() {
  const app = new Koa();
  app.use(async (ctx) => {
    // GET /html?bytes=n: a page of about n bytes, what any server pays to send the admin console's HTML.
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = htmlOf(Number(ctx.query.bytes) || 0);
      return;
    }
    // As large as koobridge's BODY_LIMIT_BYTES: the full-sync floor posts the same 8 MB snapshots.
    const body = JSON.parse(await getRawBody(ctx.req, { encoding: 'utf8', limit: '32mb' }));
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

/** The database the server opened (the SQLite file as knex was given it). */
function databaseOf(s: TestServer): ServerDatabase {
  const url = s.rt.config.databaseUrl;
  return url ? { store: 'mysql', url } : { store: 'sqlite', file: (s.rt.db.client.config.connection as { filename: string }).filename };
}

async function koobridge(spec: Extract<ChildServerSpec, { kind: 'koobridge' }>) {
  const s = await startTestServer(spec.store, spec.env, spec.mysqlUrl);
  const rsaPublicPem = testRsa().publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const ready: Ready = { url: s.url, basePath: s.rt.config.marketplaceBasePath, database: databaseOf(s), rsaPublicPem };
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
