import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { stores } from '../helpers/stores.js';
import { freshStore, storeUrl, type FreshStore } from '../helpers/database.js';
import { childEnv, spawnChild, type ChildServer } from '../helpers/child.js';
import { openDb, type Db } from '../../src/store/db.js';
import { emitEvents, event, eventually, signaturesBy, startReceiver, type Receiver } from './receiver.js';

const SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

let fresh: FreshStore | undefined;
let db: Db | undefined;
let receiver: Receiver | undefined;
const children: ChildServer[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await c.exited;
  }
  await db?.destroy();
  await receiver?.close();
  await fresh?.drop();
  fresh = db = receiver = undefined;
});

/** A store for the test, its own connection to it, and a receiver every child sends to (WEBHOOK_URL). */
async function setUp(store: 'sqlite' | 'mysql', answer: Parameters<typeof startReceiver>[0]) {
  fresh = await freshStore(store);
  receiver = await startReceiver(answer);
  return { receiver };
}

async function start(env: Record<string, string> = {}) {
  const child = spawnChild(childEnv({ DATA_DIR: fresh!.dataDir, DATABASE_URL: storeUrl(fresh!), WEBHOOK_URL: receiver!.url, WEBHOOK_SECRET: SECRET, ...env }));
  children.push(child);
  await child.listening();
  // The children migrate the store; the test writes events into it as a marketplace call would.
  db ??= openDb({ databaseUrl: fresh!.databaseUrl, sqliteFile: join(fresh!.dataDir, 'koobridge.sqlite') });
  return child;
}

describe.each(stores)('webhook workers in processes of their own on %s', (store) => {
  it('a process killed mid-delivery loses nothing: once its claim lapses, the restarted one delivers it', async () => {
    let hang = true;
    const { receiver } = await setUp(store, () => (hang ? 'hang' : 200));
    // A one-second timeout: its claim lasts that and the margin for recording, about six seconds.
    const first = await start({ WEBHOOK_TIMEOUT_SECONDS: '1' });
    await emitEvents(db!, [event('tenant.created', 1)]);
    const [sent] = await receiver.until(1, 20_000);
    first.proc.kill('SIGKILL');
    await first.exited;
    hang = false;

    const claimed = await db!('webhook_deliveries').first();
    expect(claimed).toMatchObject({ status: 'pending', attempts: 1 });
    await start({ WEBHOOK_TIMEOUT_SECONDS: '1' });
    const [, again] = await receiver.until(2, 20_000);
    // Not while the killed process's claim held: it might still have been sending.
    expect(again!.at).toBeGreaterThanOrEqual(Number(claimed.lease_until));
    expect(again!.headers['webhook-id']).toBe(sent!.headers['webhook-id']);
    expect(again!.body).toBe(sent!.body);
    expect(signaturesBy(SECRET, again!)).toBe(1);
    await eventually(async () => expect(await db!('webhook_deliveries').first()).toMatchObject({ status: 'delivered', attempts: 2 }));
  });
});

describe.each(stores.filter((s) => s === 'mysql'))('two replicas sharing one %s', (store) => {
  it('deliver each event exactly once between them', async () => {
    const { receiver } = await setUp(store, () => 200);
    const [a, b] = [await start(), await start()];
    expect(a.output()).toContain('listening');
    expect(b.output()).toContain('listening');
    const EVENTS = 300;
    for (let i = 0; i < EVENTS / 10; i++) {
      await emitEvents(db!, Array.from({ length: 10 }, (_, j) => event('user.updated', i * 10 + j)));
      await new Promise((r) => setTimeout(r, 20));
    }
    await receiver.until(EVENTS, 60_000);
    // Time for a second sending of any of them to show.
    await new Promise((r) => setTimeout(r, 2_500));
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(EVENTS);
    expect(new Set(ids).size).toBe(EVENTS);
    const owners = await db!('webhook_deliveries').where({ status: 'delivered' }).count({ n: '*' }).first();
    expect(Number(owners!.n)).toBe(EVENTS);
  });
});
