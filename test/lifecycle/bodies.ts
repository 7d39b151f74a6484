import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { basicSignature } from '../../src/marketplace/signing.js';
import type { DirectoryChange } from '../../src/store/changes.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { nonce, startTestServer, type TestServer } from '../helpers/server.js';
import type { Store } from '../helpers/stores.js';

/** Basic lifecycle bodies shaped like the marketplace's (spec §7): every value a string. */

let seq = 0;
const order = () => `CS${Date.now().toString(36).toUpperCase()}${(++seq).toString().padStart(4, '0')}`;

export const newInstance = (o: Record<string, unknown> = {}) => {
  const orderId = order();
  return { activity: 'newInstance', orderId, orderLineId: `${orderId}-000001`, businessId: randomUUID(), ...o };
};

export const refreshInstance = (instanceId: string, o: Record<string, unknown> = {}) => {
  const orderId = order();
  return { activity: 'refreshInstance', instanceId, orderId, orderLineId: `${orderId}-000001`, scene: 'RENEWAL', expireTime: '20271231160000', ...o };
};

export const upgradeInstance = (instanceId: string, o: Record<string, unknown> = {}) => {
  const orderId = order();
  return { activity: 'upgradeInstance', instanceId, orderId, orderLineId: `${orderId}-000001`, ...o };
};

export const updateInstanceStatus = (instanceId: string, status: string, o: Record<string, unknown> = {}) => ({
  activity: 'updateInstanceStatus',
  instanceId,
  status,
  ...o,
});

export const releaseInstance = (instanceId: string, o: Record<string, unknown> = {}) => ({ activity: 'releaseInstance', instanceId, ...o });

export const queryInstance = (ids: string | string[], o: Record<string, unknown> = {}) => ({
  activity: 'queryInstance',
  instanceId: Array.isArray(ids) ? ids.join(',') : ids,
  ...o,
});

/** Creates an instance through newInstance and returns its id. */
export async function created(s: TestServer, o: Record<string, unknown> = {}): Promise<string> {
  const answer = await s.basic(newInstance(o));
  if (answer.resultCode !== '000000') throw new Error(`newInstance answered ${answer.resultCode} ${answer.resultMsg}`);
  return answer.instanceId as string;
}

/** A signed basic call whose answer is returned as the raw text (to see how it is serialised). */
export async function basicRaw(s: TestServer, body: unknown): Promise<string> {
  const raw = JSON.stringify(body);
  const timestamp = String(Date.now());
  const n = nonce();
  const signature = basicSignature(TEST_KEYS.basic, n, timestamp, raw);
  const res = await fetch(`${s.url}${s.rt.config.marketplaceBasePath}?${new URLSearchParams({ signature, timestamp, nonce: n })}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw,
  });
  return res.text();
}

export interface Harness {
  s: TestServer;
  /** The directory changes the calls of the current test emitted inside their transactions. */
  changes: DirectoryChange[];
}

/** One server per describe block, on a fresh database of the given store. */
export function harness(store: Store, env: Record<string, string> = {}): Harness {
  const h = { changes: [] as DirectoryChange[] } as Harness;
  beforeAll(async () => {
    h.s = await startTestServer(store, env);
    h.s.rt.changes.subscribe({
      inTransaction: async (_trx, change) => {
        h.changes.push(change);
      },
    });
  });
  beforeEach(() => {
    h.changes.length = 0;
  });
  afterAll(() => h.s.stop());
  return h;
}
