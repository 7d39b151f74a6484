import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { inTransaction, onCommit } from '../../src/store/db.js';
import { emit, onEventsCommitted, purgeOldEvents, type NewEvent } from '../../src/store/events.js';

const event = (n: number, o: Partial<NewEvent> = {}): NewEvent => ({
  type: 'tenant.updated',
  instanceId: 'i-1',
  tenantId: `t-${n}`,
  testFlag: false,
  sourceTime: '20261202120000000',
  data: { n },
  ...o,
});

describe.each(stores)('the event outbox on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  const page = async (query = '') => (await s.api(`/api/v1/events${query}`)).body;
  const latest = async () => Number((await s.rt.db('event_sequence').first('last')).last);

  it('writes a transaction\'s events when it commits, in the order emitted, with ids and times', async () => {
    const from = await latest();
    await inTransaction(s.rt.db, async (trx) => {
      emit(trx, [event(1), event(2)]);
      emit(trx, [event(3, { type: 'department.created', testFlag: true, sourceTime: null })]);
    });
    const { data, next } = await page(`?after=${from}`);
    expect(data.map((e: { data: { n: number } }) => e.data.n)).toEqual([1, 2, 3]);
    expect(data.map((e: { sequence: number }) => e.sequence)).toEqual([from + 1, from + 2, from + 3]);
    expect(data[2]).toMatchObject({ type: 'department.created', instanceId: 'i-1', tenantId: 't-3', testFlag: true, sourceTime: null });
    expect(data[0].id).toMatch(/^evt_[\w-]{22}$/);
    expect(new Set(data.map((e: { id: string }) => e.id)).size).toBe(3);
    expect(Date.parse(data[0].occurredAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(next).toBe(String(from + 3));
  });

  it('reads back a large call\'s events one per sequence, whatever the cursor, page size, types or tenant', async () => {
    const from = await latest();
    const big = [
      ...Array.from({ length: 700 }, (_, i) => event(i, { type: 'department.created', tenantId: 't-big' })),
      ...Array.from({ length: 100 }, (_, i) => event(700 + i, { type: 'department.deleted', tenantId: 't-big' })),
      ...Array.from({ length: 500 }, (_, i) => event(800 + i, { type: 'user.updated', tenantId: 't-other' })),
    ];
    await inTransaction(s.rt.db, async (trx) => emit(trx, big));
    const all = async (query: string, limit: number) => {
      const seen: { id: string; sequence: number; type: string; tenantId: string; data: { n: number } }[] = [];
      for (let after = from; ; ) {
        const { data, next } = await page(`?after=${after}&limit=${limit}${query}`);
        if (data.length === 0) return seen;
        seen.push(...data);
        after = Number(next);
      }
    };
    const byThousand = await all('', 1000);
    expect(byThousand.map((e) => e.sequence)).toEqual(big.map((_, i) => from + 1 + i));
    expect(byThousand.map((e) => e.data.n)).toEqual(big.map((_, i) => i));
    expect(new Set(byThousand.map((e) => e.id)).size).toBe(big.length);
    // Smaller pages, cursors inside a run: the same events with the same ids.
    expect(await all('', 7)).toEqual(byThousand);
    expect((await page(`?after=${from + 250}&limit=3`)).data.map((e: { sequence: number }) => e.sequence)).toEqual([from + 251, from + 252, from + 253]);
    expect((await all('&types=department.deleted', 30)).map((e) => e.data.n)).toEqual(Array.from({ length: 100 }, (_, i) => 700 + i));
    expect((await all('&tenantId=t-other', 1000)).map((e) => e.sequence)).toEqual(Array.from({ length: 500 }, (_, i) => from + 801 + i));
    // Written as a few rows, each a run of one type and tenant.
    expect(Number((await s.rt.db('events').where('sequence', '>', from).count({ n: '*' }))[0]!.n)).toBeLessThanOrEqual(4);
  });

  it('gives back each event of a run exactly as emitted: shared and own values, nested objects, other shapes, keys left out', async () => {
    const from = await latest();
    const shaped = (i: number): object => {
      if (i % 97 === 5) return { n: i, extra: 'another shape' };
      if (i % 89 === 7) return { n: i, kind: 'same', nested: { x: i }, gone: undefined };
      return { n: i, kind: 'same', nested: i % 2 ? { x: 1 } : { x: 2 }, list: [i], none: null };
    };
    const emitted = Array.from({ length: 600 }, (_, i) => event(i, { type: 'user.updated', tenantId: 't-shapes', data: shaped(i) }));
    await inTransaction(s.rt.db, async (trx) => emit(trx, emitted));
    const { data } = await page(`?after=${from}&limit=1000`);
    expect(data.map((e: { data: object }) => e.data)).toEqual(emitted.map((e) => JSON.parse(JSON.stringify(e.data))));
    expect(data.map((e: { data: object }) => Object.keys(e.data).join())).toEqual(emitted.map((e) => Object.keys(JSON.parse(JSON.stringify(e.data))).join()));
  });

  it('keeps rows of large events to about a megabyte each, and gives each event back whole', async () => {
    const from = await latest();
    const emitted = Array.from({ length: 400 }, (_, i) => event(i, { type: 'user.updated', tenantId: 't-large', data: { n: i, note: `${i}`.padEnd(9_000, 'x') } }));
    await inTransaction(s.rt.db, async (trx) => emit(trx, emitted));
    const rows: { data: string }[] = await s.rt.db('events').where('sequence', '>', from).select('data');
    expect(rows.length).toBeGreaterThan(3);
    for (const r of rows) expect(r.data.length).toBeLessThan(1_100_000);
    const { data } = await page(`?after=${from}&limit=1000`);
    expect(data.map((e: { data: object }) => e.data)).toEqual(emitted.map((e) => e.data));
  });

  it('writes batches of value lists between single events, in order, as the objects they stand for', async () => {
    const from = await latest();
    const head = { instanceId: 'i-1', tenantId: 't-batch', testFlag: false, sourceTime: '20261202120000000' };
    const batch = (n: number) => ({ ...head, type: 'department.created' as const, keys: ['tenant', 'n', 'kind'], same: { tenant: 't-batch' }, rows: Array.from({ length: n }, (_, i) => [i, i % 3 ? 'a' : null]) });
    await inTransaction(s.rt.db, async (trx) => emit(trx, [event(-1), batch(1_200), event(-2), batch(1), batch(0), event(-3)]));
    const firstPage = await page(`?after=${from}&limit=1000`);
    const data = [...firstPage.data, ...(await page(`?after=${firstPage.next}&limit=1000`)).data];
    expect(data.map((e: { data: object }) => e.data)).toEqual([
      { n: -1 },
      ...Array.from({ length: 1_200 }, (_, i) => ({ tenant: 't-batch', n: i, kind: i % 3 ? 'a' : null })),
      { n: -2 },
      { tenant: 't-batch', n: 0, kind: null },
      { n: -3 },
    ]);
    expect(data.map((e: { sequence: number }) => e.sequence)).toEqual(data.map((_: unknown, i: number) => from + 1 + i));
    expect(new Set(data.map((e: { id: string }) => e.id)).size).toBe(1_204);
    await expect(inTransaction(s.rt.db, async (trx) => emit(trx, [{ ...batch(2), rows: [[1, 'a'], [2]] }]))).rejects.toThrow('each row must hold 2 values');
  });

  it('reads runs stored before their ids were counted, each row starting with its id', async () => {
    const from = await latest();
    const ids = ['evt_CCCCCCCCCCCCCCCCCCCCCC', 'evt_DDDDDDDDDDDDDDDDDDDDDD'];
    const data = { keys: ['orgCode', 'tenant'], same: { tenant: 't-old' }, rows: [[ids[0], 'a'], [ids[1], 'b']] };
    await s.rt.db('events').insert({ sequence: from + 1, last_sequence: from + 2, id: ids[0], type: 'department.created', occurred_at: Date.now(), source_time: null, instance_id: 'i-1', tenant_id: 't-old', test_flag: 0, data: JSON.stringify(data) });
    await s.rt.db('event_sequence').where('name', 'events').update({ last: from + 2 });
    const { data: events } = await page(`?after=${from}`);
    expect(events.map((e: { id: string; data: object }) => [e.id, e.data])).toEqual([[ids[0], { orgCode: 'a', tenant: 't-old' }], [ids[1], { orgCode: 'b', tenant: 't-old' }]]);
  });

  it('reads runs stored before their keys were said once', async () => {
    const from = await latest();
    const ids = ['evt_AAAAAAAAAAAAAAAAAAAAAA', 'evt_BBBBBBBBBBBBBBBBBBBBBB'];
    await s.rt.db('events').insert({ sequence: from + 1, last_sequence: from + 2, id: ids[0], type: 'department.created', occurred_at: Date.now(), source_time: null, instance_id: 'i-1', tenant_id: 't-old', test_flag: 0, data: JSON.stringify([[ids[0], { orgCode: 'a' }], [ids[1], { orgCode: 'b' }]]) });
    await s.rt.db('event_sequence').where('name', 'events').update({ last: from + 2 });
    const { data } = await page(`?after=${from}`);
    expect(data.map((e: { id: string; sequence: number; data: object }) => [e.id, e.sequence, e.data])).toEqual([[ids[0], from + 1, { orgCode: 'a' }], [ids[1], from + 2, { orgCode: 'b' }]]);
  });

  it('writes nothing for a transaction that rolls back', async () => {
    const from = await latest();
    await expect(
      inTransaction(s.rt.db, async (trx) => {
        emit(trx, [event(4)]);
        throw new Error('the call failed');
      }),
    ).rejects.toThrow('the call failed');
    expect((await page(`?after=${from}`)).data).toEqual([]);
    expect(await latest()).toBe(from);
  });

  it('tells this process after a commit that wrote events, never after a rollback', async () => {
    const seen: number[] = [];
    const stop = onEventsCommitted(s.rt.db, (n) => seen.push(n));
    await inTransaction(s.rt.db, async (trx) => emit(trx, [event(5), event(6)]));
    await inTransaction(s.rt.db, async () => undefined);
    await inTransaction(s.rt.db, async (trx) => {
      emit(trx, [event(7)]);
      throw new Error('no');
    }).catch(() => undefined);
    stop();
    expect(seen).toEqual([2]);
  });

  it('never lets a reader see an event before one that took a smaller sequence and commits later', async () => {
    const from = await latest();
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    let firstNumbered!: () => void;
    const numbered = new Promise<void>((r) => (firstNumbered = r));
    // The first transaction takes its number, then waits before committing. (Its answer is due
    // soon: on MySQL it takes the number at once, as a large call does, not in its COMMIT's packet.)
    const first = inTransaction(s.rt.db, async (trx) => {
      emit(trx, [event(8)]);
      onCommit(trx, { before: async () => (firstNumbered(), await firstHeld) });
    }, { until: Date.now() + 1_000 });
    await numbered;
    // On SQLite the second waits for the one connection; on MySQL for the counter row's lock.
    const second = inTransaction(s.rt.db, async (trx) => emit(trx, [event(9)]));
    const seenMeanwhile: number[][] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 40));
      seenMeanwhile.push((await page(`?after=${from}`)).data.map((e: { data: { n: number } }) => e.data.n));
    }
    releaseFirst();
    await Promise.all([first, second]);
    for (const seen of seenMeanwhile) expect(seen).toEqual([]);
    expect((await page(`?after=${from}`)).data.map((e: { data: { n: number } }) => e.data.n)).toEqual([8, 9]);
  });

  it('numbers a small call\'s events as it commits: one held before its commit does not hold up the next', async () => {
    const from = await latest();
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    let firstWaits!: () => void;
    const waiting = new Promise<void>((r) => (firstWaits = r));
    const first = inTransaction(s.rt.db, async (trx) => {
      emit(trx, [event(13)]);
      onCommit(trx, { before: async () => (firstWaits(), await firstHeld) });
    });
    await waiting;
    // On SQLite the second waits for the one connection; on MySQL neither waits for the other:
    // the counter row is taken in the packet that commits.
    const second = inTransaction(s.rt.db, async (trx) => emit(trx, [event(14)]));
    if (store === 'mysql') await second;
    else await new Promise((r) => setTimeout(r, 100));
    const seenMeanwhile = (await page(`?after=${from}`)).data.map((e: { data: { n: number } }) => e.data.n);
    releaseFirst();
    await Promise.all([first, second]);
    expect(seenMeanwhile).toEqual(store === 'mysql' ? [14] : []);
    expect((await page(`?after=${from}`)).data.map((e: { data: { n: number } }) => e.data.n)).toEqual(store === 'mysql' ? [14, 13] : [13, 14]);
  });

  it.runIf(store === 'mysql')('does not commit a call past its deadline while the counter row is held (MySQL)', { timeout: 20_000 }, async () => {
    const from = await latest();
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    // Another transaction holds the counter row for 5 s (a large sync writing its events, say).
    const holder = inTransaction(s.rt.db, async (trx) => {
      await trx.raw("SELECT last FROM event_sequence WHERE name = 'events' FOR UPDATE");
      held();
      await new Promise((r) => setTimeout(r, 5_000));
    });
    await holding;
    const until = Date.now() + 3_500;
    // As a marketplace call does: its deadline checked last before the commit.
    const call = inTransaction(s.rt.db, async (trx) => {
      emit(trx, [event(15)]);
      onCommit(trx, { before: async () => { if (Date.now() >= until) throw new Error('answered retry'); } });
    }, { until });
    await expect(call).rejects.toThrow();
    await holder;
    expect((await page(`?after=${from}`)).data).toEqual([]);
  });

  it('pages by cursor and filters by type, tenant and instance', async () => {
    const from = await latest();
    await inTransaction(s.rt.db, async (trx) =>
      emit(trx, [
        event(10, { tenantId: 'a', type: 'user.authorized' }),
        event(11, { tenantId: 'b', type: 'user.deleted' }),
        event(12, { tenantId: 'a', type: 'user.deleted', instanceId: 'i-2' }),
      ]),
    );
    const first = await page(`?after=${from}&limit=2`);
    expect(first.data.map((e: { data: { n: number } }) => e.data.n)).toEqual([10, 11]);
    const rest = await page(`?after=${first.next}&limit=2`);
    expect(rest.data.map((e: { data: { n: number } }) => e.data.n)).toEqual([12]);
    expect((await page(`?after=${rest.next}`)).data).toEqual([]);
    expect((await page(`?after=${rest.next}`)).next).toBe(rest.next);
    const ns = async (q: string) => (await page(`?after=${from}&${q}`)).data.map((e: { data: { n: number } }) => e.data.n);
    expect(await ns('types=user.deleted')).toEqual([11, 12]);
    expect(await ns('types=user.authorized,user.deleted&tenantId=a')).toEqual([10, 12]);
    expect(await ns('instanceId=i-2')).toEqual([12]);
  });

  it('refuses a bad query naming the field, and answers only with the API token', async () => {
    for (const [q, field] of [['?types=user.exploded', 'types'], ['?limit=0', 'limit'], ['?limit=1001', 'limit'], ['?after=-1', 'after'], ['?after=abc', 'after']]) {
      const r = await s.api(`/api/v1/events${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.message, q).toMatch(new RegExp(`^${field}`));
    }
    expect((await s.api('/api/v1/events', 'wrong-token')).status).toBe(401);
    expect((await s.api('/api/v1/Events')).status).toBe(404);
  });

  it('deletes events past the retention, and answers 410 to a cursor that would miss them', async () => {
    const from = await latest();
    await inTransaction(s.rt.db, async (trx) => emit(trx, [event(13), event(14)]));
    // Aged by hand: the purge compares the time each event was written.
    await s.rt.db('events').where('sequence', '<=', from + 1).update({ occurred_at: Date.now() - 31 * 86_400_000 });
    expect(await purgeOldEvents(s.rt.db, 30)).toBe(from + 1);
    const gone = await s.api(`/api/v1/events?after=${from}`);
    expect(gone.status).toBe(410);
    expect(gone.body.message).toMatch(/^after: /);
    expect((await page(`?after=${from + 1}`)).data.map((e: { data: { n: number } }) => e.data.n)).toEqual([14]);
    // Without a cursor a receiver starts at the oldest event kept.
    expect((await page()).data[0].sequence).toBe(from + 2);
  });
});
