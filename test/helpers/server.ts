import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createRuntime } from '../../src/runtime.js';
import { createLogger } from '../../src/log.js';
import { kitSignature, basicSignature } from '../../src/marketplace/signing.js';
import { freshStore, storeUrl, type FreshStore, type Store } from './database.js';
import { TEST_KEYS, keyEnv } from './keys.js';
import { apiDocument, type ApiDocument } from './openapi.js';

export interface MarketplaceAnswer {
  resultCode: string;
  resultMsg: string;
  [k: string]: unknown;
}

export interface SignOptions {
  timestamp?: string;
  nonce?: string;
  key?: string;
  /** Sign this text instead of the body sent (to test the canonical form). */
  signedPayload?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface TestServer extends RunningServer {
  store: Store;
  /** Its database and data folder, for a server started again on them (`on`) or a process of its own. */
  fresh: FreshStore;
  /** POST a kit call signed as the marketplace would; the raw body is sent as given when a string. */
  kit(call: string, body: unknown, opts?: SignOptions): Promise<MarketplaceAnswer>;
  /** POST a basic (lifecycle) call signed in the query string. */
  basic(body: unknown, opts?: SignOptions): Promise<MarketplaceAnswer>;
  /**
   * Call the bearer API (GET unless told) with the token; a body is sent as JSON. Each answer is
   * checked against GET /openapi.json (its status and JSON body): a mismatch fails the test.
   */
  api(path: string, token?: string, method?: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** The status and JSON body of an answer fetched otherwise (a browser's), checked against GET /openapi.json like api()'s. */
  described(method: string, path: string, res: Response): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export const nonce = () => randomBytes(32).toString('hex').toUpperCase();

/** A koobridge server on a fresh database, with clients that sign like the marketplace. Used by tests and benchmarks. */
export interface TestServerOptions {
  /** Every log line the server writes (JSON), for tests of what the logs hold. */
  logLines?: string[];
  /** The database (and data folder) of an earlier server, kept as it is, instead of a fresh one. */
  on?: FreshStore;
}

export async function startTestServer(store: Store, env: Record<string, string> = {}, mysqlUrl?: string, options: TestServerOptions = {}): Promise<TestServer> {
  const ts = options.on ?? (await freshStore(store, mysqlUrl));
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: ts.dataDir,
    DATABASE_URL: storeUrl(ts),
    LOG_LEVEL: 'silent',
    ...keyEnv(),
    ...env,
  });
  const lines = options.logLines;
  const log = lines ? createLogger(env.LOG_LEVEL ?? 'info', { write: (line: string) => void lines.push(line) }) : undefined;
  const running = await startServer(config, { jobs: false, rt: createRuntime(config, { log }) });
  const base = `${running.url}${config.marketplaceBasePath}`;

  const described: TestServer['described'] = async (method, path, res) => {
    const text = await res.text();
    const mediaType = text === '' ? undefined : res.headers.get('content-type')?.split(';')[0]!.trim();
    const json = mediaType === 'application/json' ? JSON.parse(text) : undefined;
    document ??= apiDocument(running.url);
    const mismatch = (await document).mismatch(method, new URL(path, running.url).pathname, res.status, mediaType, json);
    if (mismatch) throw new Error(`the answer does not match /openapi.json: ${mismatch}`);
    return { status: res.status, body: json };
  };

  const post = async (url: string, raw: string, headers: Record<string, string>) => {
    const res = await fetch(url, { method: 'POST', headers, body: raw });
    if (res.status !== 200) throw new Error(`marketplace call answered HTTP ${res.status}: ${await res.text()}`);
    if (!res.headers.get('content-type')?.startsWith('application/json')) throw new Error('answer is not application/json');
    return (await res.json()) as MarketplaceAnswer;
  };

  let document: Promise<ApiDocument> | undefined;

  return {
    ...running,
    store,
    fresh: ts,
    async kit(call, body, opts = {}) {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const timestamp = opts.timestamp ?? String(Date.now());
      const n = opts.nonce ?? nonce();
      const sign = kitSignature(opts.key ?? TEST_KEYS.kit, n, timestamp, opts.signedPayload ?? raw).toUpperCase();
      return post(`${base}/produceAPI/v2/${call}`, raw, {
        'content-type': opts.contentType ?? 'application/json;charset=utf8',
        'x-sign': sign,
        'x-timestamp': timestamp,
        'x-nonce': n,
        ...opts.headers,
      });
    },
    async basic(body, opts = {}) {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const timestamp = opts.timestamp ?? String(Date.now());
      const n = opts.nonce ?? nonce();
      const signature = basicSignature(opts.key ?? TEST_KEYS.basic, n, timestamp, opts.signedPayload ?? raw).toUpperCase();
      const q = new URLSearchParams({ signature, timestamp, nonce: n });
      return post(`${base}?${q}`, raw, { 'content-type': opts.contentType ?? 'application/json;charset=utf8', ...opts.headers });
    },
    async api(path, token = TEST_KEYS.apiToken, method = 'GET', body?: unknown) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${running.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return described(method, path, res);
    },
    described,
    async stop() {
      await running.close();
      await ts.drop();
    },
  };
}
