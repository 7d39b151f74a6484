import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inTransaction, onCommit, openDb, openReads, type Db, type Trx } from '../../src/store/db.js';

/**
 * SQLite runs the transactions that arrive while one runs in the same transaction, each in a
 * savepoint of its own, and commits them once (src/store/db.ts, inGroup).
 */
describe('group commit on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'koobridge-group-'));
  const file = join(dir, 'k.sqlite');
  const db = openDb({ sqliteFile: file });
  const reads = openReads({ sqliteFile: file }, db);
  afterAll(async () => {
    await reads.destroy();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await db.raw('DROP TABLE IF EXISTS items');
    await db.raw('CREATE TABLE items (n INTEGER PRIMARY KEY)');
  });

  /** The statements `work` sends that start with `word` (BEGIN, COMMIT…). */
  const counting = async <T>(on: Db, word: string, work: () => Promise<T>) => {
    let count = 0;
    const listener = ({ sql }: { sql: string }) => void (sql.trim().toUpperCase().startsWith(word) && count++);
    on.on('query', listener);
    try {
      return { value: await work(), count };
    } finally {
      on.off('query', listener);
    }
  };
  const items = async (on: Db = db) => (await on('items').orderBy('n').pluck('n')) as number[];
  const insert = (trx: Trx, n: number) => trx('items').insert({ n });

  for (const where of ['file', ':memory:'] as const) {
    it(`runs concurrent transactions one after another and commits them once (${where})`, async () => {
      const on = where === 'file' ? db : openDb({ sqliteFile: ':memory:' });
      if (on !== db) await on.raw('CREATE TABLE items (n INTEGER PRIMARY KEY)');
      const steps: string[] = [];
      const { value, count } = await counting(on, 'COMMIT', () =>
        Promise.all(
          [1, 2, 3, 4, 5].map((n) =>
            inTransaction(on, async (trx) => {
              steps.push(`start ${n}`);
              await insert(trx, n);
              await trx('items').count({ c: '*' });
              steps.push(`end ${n}`);
              return n * 10;
            }),
          ),
        ),
      );
      expect(value).toEqual([10, 20, 30, 40, 50]);
      expect(count).toBe(1);
      expect(steps).toEqual([1, 2, 3, 4, 5].flatMap((n) => [`start ${n}`, `end ${n}`]));
      expect(await items(on)).toEqual([1, 2, 3, 4, 5]);
      if (on !== db) await on.destroy();
    });
  }

  it('commits the transactions before a long one without waiting for it', async () => {
    let releaseLong!: () => void;
    const longHeld = new Promise<void>((r) => (releaseLong = r));
    const committed: string[] = [];
    const short = [1, 2].map((n) => inTransaction(db, (trx) => insert(trx, n)).then(() => committed.push(`short ${n}`)));
    const long = inTransaction(db, async (trx) => {
      await insert(trx, 3);
      await longHeld;
    }, { long: true }).then(() => committed.push('long'));
    await Promise.all(short);
    expect(committed).toEqual(['short 1', 'short 2']);
    expect(await items(reads)).toEqual([1, 2]);
    releaseLong();
    await long;
    expect(await items(reads)).toEqual([1, 2, 3]);
  });

  it('undoes a failing member alone: it is told its error, the others commit', async () => {
    const boom = new Error('member 2 fails');
    const { value, count } = await counting(db, 'COMMIT', () =>
      Promise.allSettled(
        [1, 2, 3].map((n) =>
          inTransaction(db, async (trx) => {
            await insert(trx, n);
            if (n === 2) {
              await insert(trx, 20);
              throw boom;
            }
          }),
        ),
      ),
    );
    expect(value.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((value[1] as PromiseRejectedResult).reason).toBe(boom);
    expect(count).toBe(1);
    expect(await items()).toEqual([1, 3]);
  });

  it('runs a member\'s after hook only once the group committed, its before hook in its own savepoint', async () => {
    const seen: string[] = [];
    const listener = ({ sql }: { sql: string }) => void (/^(COMMIT|RELEASE)/i.test(sql) && seen.push(sql.split(' ')[0]!.replace(';', '')));
    db.on('query', listener);
    const committedRows: number[][] = [];
    await Promise.all(
      [1, 2].map((n) =>
        inTransaction(db, async (trx) => {
          await insert(trx, n);
          onCommit(trx, {
            before: async () => {
              seen.push(`before ${n}`);
              await insert(trx, n * 100);
            },
            after: () => {
              seen.push(`after ${n}`);
              committedRows.push([]);
              void items(reads).then((rows) => committedRows[n - 1]!.push(...rows));
            },
          });
        }),
      ),
    );
    db.off('query', listener);
    expect(seen).toEqual(['before 1', 'RELEASE', 'before 2', 'RELEASE', 'COMMIT', 'after 1', 'after 2']);
    await new Promise((r) => setTimeout(r, 50));
    // The read connection sees the commit, every member's rows: the after hook came after it.
    expect(committedRows).toEqual([[1, 2, 100, 200], [1, 2, 100, 200]]);
  });

  it('tells every member a failed COMMIT, and none runs its after hook', async () => {
    await db.raw('PRAGMA foreign_keys = ON');
    await db.raw('DROP TABLE IF EXISTS children');
    await db.raw('CREATE TABLE children (n INTEGER PRIMARY KEY, parent INTEGER REFERENCES items (n) DEFERRABLE INITIALLY DEFERRED)');
    const after: number[] = [];
    try {
      const outcomes = await Promise.allSettled(
        [1, 2, 3].map((n) =>
          inTransaction(db, async (trx) => {
            await insert(trx, n);
            // A parent that never comes: SQLite refuses the COMMIT, not the statement.
            if (n === 2) await trx('children').insert({ n, parent: 99 });
            onCommit(trx, { after: () => after.push(n) });
          }),
        ),
      );
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
      for (const o of outcomes) expect((o as PromiseRejectedResult).reason.code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    } finally {
      await db.raw('PRAGMA foreign_keys = OFF');
    }
    expect(after).toEqual([]);
    expect(await items()).toEqual([]);
    // Rolled back: the writer takes the next transaction.
    await inTransaction(db, (trx) => insert(trx, 7));
    expect(await items()).toEqual([7]);
  });

  it('runs every member\'s work again when the COMMIT was busy', async () => {
    const client = db.client as { query(connection: unknown, sql: unknown): Promise<unknown> };
    const query = client.query;
    let failed = false;
    client.query = function (connection, sql) {
      if (sql === 'COMMIT;' && !failed) {
        failed = true;
        return Promise.reject(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
      }
      return query.call(this, connection, sql);
    };
    const runs: number[] = [];
    try {
      await Promise.all(
        [1, 2, 3].map((n) =>
          inTransaction(db, async (trx) => {
            runs.push(n);
            await insert(trx, n);
          }),
        ),
      );
    } finally {
      client.query = query;
    }
    expect(failed).toBe(true);
    expect(runs.sort()).toEqual([1, 1, 2, 2, 3, 3]);
    expect(await items()).toEqual([1, 2, 3]);
  });

  it('leaves the members waiting once the group ran for 10 ms to the next group, in their order', async () => {
    const order: number[] = [];
    const { count } = await counting(db, 'COMMIT', () =>
      Promise.all(
        [1, 2, 3].map((n) =>
          inTransaction(db, async (trx) => {
            order.push(n);
            await insert(trx, n);
            if (n === 1) await new Promise((r) => setTimeout(r, 15));
          }),
        ),
      ),
    );
    expect(count).toBe(2);
    expect(order).toEqual([1, 2, 3]);
    expect(await items()).toEqual([1, 2, 3]);
  });

  it('does not commit a member whose deadline passed while later members ran: the others run again', async () => {
    const runs: number[] = [];
    const [late, other] = await Promise.allSettled([
      inTransaction(db, async (trx) => {
        runs.push(1);
        await insert(trx, 1);
      }, { until: Date.now() + 5 }),
      inTransaction(db, async (trx) => {
        runs.push(2);
        await insert(trx, 2);
        await new Promise((r) => setTimeout(r, 10));
      }),
    ]);
    expect(late.status).toBe('rejected');
    expect(other.status).toBe('fulfilled');
    expect(runs).toEqual([1, 2, 2]);
    expect(await items()).toEqual([2]);
  });

  it('refuses a member\'s queries once its work ended, while the group still runs', async () => {
    let leaked: Trx | undefined;
    let refusal: unknown;
    await Promise.all([
      inTransaction(db, async (trx) => {
        leaked = trx;
      }),
      inTransaction(db, async (trx) => {
        await insert(trx, 2);
        refusal = await insert(leaked!, 1).then(() => undefined, (err: Error) => err.message);
      }),
    ]);
    expect(refusal).toBe('Transaction query already complete');
    expect(await items()).toEqual([2]);
  });
});
