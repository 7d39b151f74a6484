import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inTransaction, openDb } from '../../src/store/db.js';

/**
 * Another process on the same SQLite file (a reseal, a backup) may commit between a transaction's
 * first read and its first write; SQLite then refuses the write at once (SQLITE_BUSY_SNAPSHOT),
 * whatever the busy timeout. The transaction is run again and sees the other's commit.
 */
describe('a SQLite transaction overtaken by another connection\'s commit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'koobridge-busy-'));
  const file = join(dir, 'k.sqlite');
  const db = openDb({ sqliteFile: file });
  afterAll(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is run again rather than failing', async () => {
    await db.raw('CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL)');
    await db('counters').insert({ name: 'c', n: 0 });
    const other = openDb({ sqliteFile: file });
    let attempts = 0;
    await inTransaction(db, async (trx) => {
      attempts++;
      const { n } = await trx('counters').where('name', 'c').first('n');
      if (attempts === 1) await other.raw("UPDATE counters SET n = n + 10 WHERE name = 'c'");
      await trx('counters').where('name', 'c').update({ n: n + 1 });
    });
    await other.destroy();
    expect(attempts).toBe(2);
    expect((await db('counters').first('n')).n).toBe(11);
  });
});
