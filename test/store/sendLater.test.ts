import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshStore, storeUrl, type FreshStore } from '../helpers/database.js';
import { stores } from '../helpers/stores.js';
import { inTransaction, lockWaitAtMost, openDb, type Db } from '../../src/store/db.js';
import { runLater, runStatement, runStatements } from '../../src/store/statements.js';

/**
 * Writes whose answer a call does not read wait for the transaction's next statement (on MySQL in
 * its packet): the call must see them as if sent at once, in order, and commit or fail with them.
 */
describe.each(stores)('writes sent later, on %s', (store) => {
  let fresh: FreshStore;
  let db: Db;
  beforeAll(async () => {
    fresh = await freshStore(store);
    const url = storeUrl(fresh);
    // One connection, so that the packets counted below are the transaction's.
    db = url.startsWith('sqlite:') ? openDb({ sqliteFile: url.slice('sqlite://'.length) }) : openDb({ databaseUrl: url, sqliteFile: '', mysqlPoolMax: 1 });
    await db.raw('CREATE TABLE later_t (k VARCHAR(16) PRIMARY KEY, v INT NOT NULL)');
  });
  afterAll(async () => {
    await db.destroy();
    await fresh.drop();
  });
  const count = async (k: string) => Number((await db('later_t').where('k', k).count({ n: '*' }))[0]!.n);

  it('are seen, in order, by the statements after them and commit with the transaction', async () => {
    const seen = await inTransaction(db, async (trx) => {
      await runLater(trx, 'INSERT INTO later_t (k, v) VALUES (?, ?)', ['a', 1]);
      await runLater(trx, 'UPDATE later_t SET v = v + ? WHERE k = ?', [10, 'a']);
      const { rows } = await runStatement<{ v: number }>(trx, 'SELECT v FROM later_t WHERE k = ?', ['a']);
      await runLater(trx, 'INSERT INTO later_t (k, v) VALUES (?, ?)', ['b', 2]);
      // A query knex builds comes after them too.
      const built = await trx('later_t').where('k', 'b').first('v');
      await runLater(trx, 'INSERT INTO later_t (k, v) VALUES (?, ?)', ['c', 3]);
      const [c, all] = await runStatements<{ v: number }>(trx, [
        { sql: 'SELECT v FROM later_t WHERE k = ?', params: ['c'] },
        { sql: 'SELECT v FROM later_t ORDER BY k', params: [] },
      ]);
      return { read: rows[0]?.v, built: built?.v, several: [c!.rows.map((r) => r.v), all!.rows.map((r) => r.v)] };
    });
    expect(seen).toEqual({ read: 11, built: 2, several: [[3], [11, 2, 3]] });
    expect(await Promise.all(['a', 'b', 'c'].map(count))).toEqual([1, 1, 1]);
  });

  it('fail the transaction when one of them fails, and nothing of it commits', async () => {
    const attempt = inTransaction(db, async (trx) => {
      await runStatement(trx, 'INSERT INTO later_t (k, v) VALUES (?, ?)', ['d', 4]);
      await runLater(trx, 'INSERT INTO later_t (k, v) VALUES (?, ?)', ['e', 5]);
      // The same key again: the transaction's last write fails, at its COMMIT on MySQL.
      await runLater(trx, 'INSERT INTO later_t (k, v) VALUES (?, ?)', ['d', 6]);
    });
    await expect(attempt).rejects.toThrow(/duplicate|unique/i);
    expect(await Promise.all(['d', 'e'].map(count))).toEqual([0, 0]);
  });

  it('are dropped with a transaction whose work throws', async () => {
    await expect(inTransaction(db, async (trx) => {
      await runLater(trx, 'INSERT INTO later_t (k, v) VALUES (?, ?)', ['f', 7]);
      throw new Error('the call failed');
    })).rejects.toThrow('the call failed');
    await expect(inTransaction(db, async () => {
      throw new Error('before any statement');
    })).rejects.toThrow('before any statement');
    expect(await count('f')).toBe(0);
    // The connection is left clean for the next transaction.
    await inTransaction(db, (trx) => runLater(trx, 'INSERT INTO later_t (k, v) VALUES (?, ?)', ['g', 8]));
    expect(await count('g')).toBe(1);
  });

  it.runIf(store === 'mysql')('leave the connection its own lock wait limit after one bounded it, committed or not (MySQL)', async () => {
    const limit = async () => Number((await db.raw('SELECT @@SESSION.innodb_lock_wait_timeout AS s, @@GLOBAL.innodb_lock_wait_timeout AS g'))[0][0].s);
    const server = Number((await db.raw('SELECT @@GLOBAL.innodb_lock_wait_timeout AS g'))[0][0].g);
    const bounded = await inTransaction(db, async (trx) => {
      lockWaitAtMost(trx, 1);
      return Number((await runStatement<{ s: number }>(trx, 'SELECT @@SESSION.innodb_lock_wait_timeout AS s', [])).rows[0]!.s);
    });
    expect(bounded).toBe(1);
    expect(await limit()).toBe(server);
    await expect(inTransaction(db, async (trx) => {
      lockWaitAtMost(trx, 1);
      await runLater(trx, 'INSERT INTO later_t (k, v) VALUES (?, ?)', ['a', 1]);
    })).rejects.toThrow(/duplicate/i);
    expect(await limit()).toBe(server);
  });

  it.runIf(store === 'mysql')('travel in the packets of the statements after them (MySQL)', async () => {
    const client = db.client as { acquireConnection(): Promise<Record<string, (...a: unknown[]) => unknown>>; releaseConnection(c: unknown): Promise<void> };
    const conn = await client.acquireConnection();
    const packets: string[] = [];
    const send = { query: conn.query!, execute: conn.execute! };
    for (const method of ['query', 'execute'] as const) {
      conn[method] = function (this: unknown, sql: unknown, ...rest: unknown[]) {
        packets.push(typeof sql === 'string' ? sql : (sql as { sql: string }).sql);
        return send[method].call(this, sql, ...rest);
      };
    }
    await client.releaseConnection(conn);
    try {
      await inTransaction(db, async (trx) => {
        await runStatement(trx, 'SELECT v FROM later_t WHERE k = ?', ['a']);
        await runLater(trx, 'INSERT INTO later_t (k, v) VALUES (?, ?)', ['h', 9]);
        await runStatements(trx, [
          { sql: 'SELECT v FROM later_t WHERE k = ?', params: ['h'] },
          { sql: 'SELECT v FROM later_t WHERE k = ?', params: ['a'] },
        ]);
        await runLater(trx, 'INSERT INTO later_t (k, v) VALUES (?, ?)', ['i', 10]);
      });
    } finally {
      Object.assign(conn, send);
    }
    // BEGIN with the read; a write with two reads; the last write with the COMMIT.
    expect(packets.map((p) => p.split(';\n').length)).toEqual([2, 3, 2]);
    expect(packets.at(-1)).toMatch(/COMMIT$/);
    expect(await Promise.all(['h', 'i'].map(count))).toEqual([1, 1]);
  });
});
