import { inTransaction, type Db } from './db.js';
import { SecretUnreadable, type SecretBox } from './secretBox.js';

/** A column that holds values sealed with SecretBox, and how to find the context each row's value is bound to. */
export interface SealedColumn {
  table: string;
  /** The columns that identify a row, unique together: the batches walk the table in their order. */
  key: string[];
  column: string;
  /** The context the value was sealed with, from the row's key columns. */
  context(key: Record<string, string>): string;
  /** The column holds plain JSON too (nonces' answers): only values in the sealed form ("v1."/"v2.") are resealed. */
  plainToo?: boolean;
}

export interface ResealBatch {
  resealed: number;
  /** Written by someone else (the server) between the read and the rewrite: left as they are. */
  changed: number;
  /** No key of the ring opens them: left as they are. */
  unreadable: number;
}

/**
 * Moves a column's sealed values to the newest key of the ring, `batchSize` rows at a time, each
 * batch in its own transaction. Only values not yet under the newest key are read, so a run that
 * stopped is simply run again. A row is rewritten only while it still holds the value read
 * (compare and set): one the server wrote meanwhile is under the newest key already.
 */
export async function resealColumn(db: Db, box: SecretBox, col: SealedColumn, batchSize: number, onBatch: (batch: ResealBatch) => void): Promise<ResealBatch> {
  const total: ResealBatch = { resealed: 0, changed: 0, unreadable: 0 };
  let after: string[] | undefined;
  const keyList = col.key.map(() => '??').join(', ');
  for (;;) {
    const query = db(col.table)
      .select([...col.key, col.column])
      .whereNotNull(col.column)
      // Key ids are letters, digits and '-' only: the prefix holds no LIKE wildcard.
      .andWhere(col.column, 'not like', `${box.currentPrefix}%`)
      .modify((q) => (col.plainToo ? q.andWhere(col.column, 'like', 'v_.%') : q))
      .orderBy(col.key)
      .limit(batchSize);
    // Past the last row of the previous batch, so values that stay unreadable are not read again.
    if (after) query.whereRaw(`(${keyList}) > (${col.key.map(() => '?').join(', ')})`, [...col.key, ...after]);
    const rows: Record<string, string>[] = await query;
    if (rows.length === 0) return total;
    const batch = await inTransaction(db, async (trx) => {
      const done: ResealBatch = { resealed: 0, changed: 0, unreadable: 0 };
      for (const row of rows) {
        const key = Object.fromEntries(col.key.map((k) => [k, row[k]!]));
        let next: string;
        try {
          next = box.reseal(row[col.column]!, col.context(key));
        } catch (err) {
          if (!(err instanceof SecretUnreadable)) throw err;
          done.unreadable++;
          continue;
        }
        const written = await trx(col.table).where(key).andWhere(col.column, row[col.column]!).update({ [col.column]: next });
        if (written > 0) done.resealed++;
        else done.changed++;
      }
      return done;
    }, { long: true });
    after = col.key.map((k) => rows[rows.length - 1]![k]!);
    total.resealed += batch.resealed;
    total.changed += batch.changed;
    total.unreadable += batch.unreadable;
    onBatch(batch);
  }
}
