import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inTransaction, openDb } from '../../src/store/db.js';

/**
 * The server's SQLite connection never copies the write-ahead log into the database file itself
 * (that made a large commit hold every request); a worker thread does. The log must still not
 * grow without end: once copied, the next writes reuse it from the start.
 */
describe('SQLite write-ahead log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'koobridge-wal-'));
  const file = join(dir, 'k.sqlite');
  const db = openDb({ sqliteFile: file });
  afterAll(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const writeMegabytes = (mb: number) =>
    inTransaction(db, async (trx) => {
      for (let i = 0; i < mb; i++) await trx('blobs').insert({ body: 'x'.repeat(1_000_000) });
    });
  const walBytes = () => statSync(`${file}-wal`).size;

  it('is copied into the database file in the background, so it stays the size of one large commit', async () => {
    await db.raw('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    await writeMegabytes(20);
    const once = walBytes();
    expect(once).toBeGreaterThan(20_000_000);
    for (let round = 0; round < 3; round++) {
      await sleep(1500);
      await writeMegabytes(20);
    }
    // Four commits of 20 MB: a log nobody copies would hold 80 MB.
    expect(walBytes()).toBeLessThan(once * 1.5);
    const { n } = await db('blobs').count({ n: '*' }).first() as { n: number };
    expect(Number(n)).toBe(80);
  });
});
