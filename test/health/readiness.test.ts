import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMysqlUrl } from '../helpers/database.js';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tcpLink } from '../helpers/tcpLink.js';

const readyz = async (s: TestServer) => {
  const started = Date.now();
  const res = await fetch(`${s.url}/readyz`);
  return { status: res.status, body: await res.json(), ms: Date.now() - started };
};

describe.each(stores)('readiness on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  it('is ready when the store takes a write', async () => {
    expect(await readyz(s)).toMatchObject({ status: 200, body: { status: 'ready' } });
    expect(Number((await s.rt.db('readiness_probes').count({ n: '*' }))[0]!.n)).toBe(1);
  });

  it('is not ready while the store refuses writes (a disk full, a read-only failover)', async () => {
    const db = s.rt.db;
    await db.raw(
      store === 'mysql'
        ? `CREATE TRIGGER probes_unwritable BEFORE UPDATE ON readiness_probes FOR EACH ROW SIGNAL SQLSTATE 'HY000' SET MESSAGE_TEXT = 'disk full'`
        : `CREATE TRIGGER probes_unwritable BEFORE UPDATE ON readiness_probes BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    try {
      expect(await readyz(s)).toMatchObject({ status: 503, body: { status: 'database unreachable or not taking writes' } });
    } finally {
      await db.raw('DROP TRIGGER probes_unwritable');
    }
    expect((await readyz(s)).status).toBe(200);
  });

  it('stays ready while a long write holds the store (a full sync holds SQLite\'s one writer for seconds)', async () => {
    expect((await readyz(s)).status).toBe(200);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const write = s.rt.db.transaction(async (trx) => {
      await trx('readiness_probes').update({ checked_at: 0 }).where('replica', '');
      entered();
      await held;
    });
    await inside;
    try {
      const probe = await readyz(s);
      expect(probe).toMatchObject({ status: 200, body: { status: 'ready' } });
      expect(probe.ms).toBeLessThan(500);
    } finally {
      release();
      await write;
    }
  });
});

describe.runIf(stores.includes('mysql'))('readiness while MariaDB stops answering', () => {
  let s: TestServer;
  let link: Awaited<ReturnType<typeof tcpLink>>;
  beforeAll(async () => {
    link = await tcpLink(new URL(defaultMysqlUrl()));
    s = await startTestServer('mysql', {}, link.url);
  });
  afterAll(async () => {
    link.thaw();
    await s.stop();
    await link.close();
  });

  it('answers 503 within a second while frozen, however many probes come, and ready again once it answers', async () => {
    expect((await readyz(s)).status).toBe(200);
    link.freeze();
    const probes = await Promise.all(Array.from({ length: 5 }, () => readyz(s)));
    for (const p of probes) {
      expect(p.status).toBe(503);
      expect(p.ms).toBeLessThan(1_000);
    }
    link.thaw();
    const deadline = Date.now() + 5_000;
    let back = await readyz(s);
    while (back.status !== 200 && Date.now() < deadline) back = await readyz(s);
    expect(back.status).toBe(200);
  });
});
