import type { Db, Trx } from './db.js';

/** A spent nonce: the request that spent it (a hash of its bytes and credentials) and what that request was answered. */
export interface SpentNonce {
  scope: 'kit' | 'basic';
  nonce: string;
  expiresAt: number;
  requestHash: string;
}

/** The answer a marketplace call got: resultCode, resultMsg and any extra fields (never a secret). */
export type StoredAnswer = Record<string, unknown> & { resultCode: string; resultMsg: string };

/**
 * Remembers each signed request's nonce until its timestamp can no longer pass the window, so a
 * captured request cannot be replayed to do anything new. The primary key makes "first one wins"
 * atomic; claimed in the call's own transaction, a concurrent twin waits for the first and then
 * finds it taken. `answer` is given when it is known at once (a refusal); else see storeAnswer.
 */
export async function claimNonce(db: Db | Trx, n: SpentNonce, answer?: StoredAnswer): Promise<boolean> {
  try {
    await db('nonces').insert({
      scope: n.scope,
      nonce: n.nonce,
      expires_at: n.expiresAt,
      request_hash: n.requestHash,
      answer: answer ? JSON.stringify(answer) : null,
    });
    return true;
  } catch (err) {
    const e = err as { code?: string; errno?: number };
    if (e.code === 'ER_DUP_ENTRY' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
    throw err;
  }
}

/** Records the answer of the call that claimed the nonce, in that call's transaction. */
export async function storeAnswer(trx: Trx, n: SpentNonce, answer: StoredAnswer): Promise<void> {
  await trx('nonces').where({ scope: n.scope, nonce: n.nonce }).update({ answer: JSON.stringify(answer) });
}

/**
 * Who spent the nonce: nobody yet, this very request (the same bytes and credentials) with the
 * answer it got, or another request.
 */
export type NonceUse = { spent: false } | { spent: true; answer?: StoredAnswer };

/**
 * How the nonce was used before. `locked` reads the row as a concurrent twin committed it (a
 * locking read: MySQL's plain reads would see the transaction's snapshot).
 */
export async function nonceUse(db: Db | Trx, n: SpentNonce, locked = false): Promise<NonceUse> {
  const q = db('nonces').where({ scope: n.scope, nonce: n.nonce });
  const row: { request_hash: string | null; answer: string | null } | undefined = await (locked ? q.forShare() : q).first('request_hash', 'answer');
  if (!row) return { spent: false };
  if (row.request_hash !== n.requestHash || row.answer === null) return { spent: true };
  return { spent: true, answer: JSON.parse(row.answer) as StoredAnswer };
}

export async function purgeExpiredNonces(db: Db, now = Date.now()): Promise<number> {
  return db('nonces').where('expires_at', '<', now).delete();
}
