import type { Db, Trx } from './db.js';
import { lockClause, runLater, runStatement } from './statements.js';
import type { NonceRow } from './rows.js';
import { SecretUnreadable, type SecretBox } from './secretBox.js';

/** A spent nonce: the request that spent it (a hash of its bytes and credentials) and what that request was answered. */
export interface SpentNonce {
  scope: 'kit' | 'basic';
  nonce: string;
  expiresAt: number;
  requestHash: string;
}

/** The answer a marketplace call got: resultCode, resultMsg and any extra fields (a secret among them only sealed). */
export type StoredAnswer = Record<string, unknown> & { resultCode: string; resultMsg: string };

/** Binds a sealed answer to its nonce: copied to another row, it does not open. */
export const answerSealContext = (scope: string, nonce: string) => `nonces.answer:${scope}:${nonce}`;

/**
 * Remembers each signed request's nonce until its timestamp can no longer pass the window, so a
 * captured request cannot be replayed to do anything new. The primary key makes "first one wins"
 * atomic; claimed in the call's own transaction, a concurrent twin waits for the first and then
 * finds it taken. `answer` is what the request is answered: known at once for a refusal, else the
 * answer most calls get, corrected by storeAnswer when the call's differs, in the same transaction.
 */
export async function claimNonce(db: Db | Trx, n: SpentNonce, answer: StoredAnswer): Promise<boolean> {
  try {
    await runStatement(db, 'INSERT INTO nonces (scope, nonce, expires_at, request_hash, answer) VALUES (?, ?, ?, ?, ?)', [
      n.scope,
      n.nonce,
      n.expiresAt,
      n.requestHash,
      JSON.stringify(answer),
    ]);
    return true;
  } catch (err) {
    const e = err as { code?: string; errno?: number };
    if (e.code === 'ER_DUP_ENTRY' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
    throw err;
  }
}

/**
 * Records the answer of the call that claimed the nonce, in that call's transaction. An answer
 * carrying a secret (queryInstance's appInfo.password) is kept sealed with `box`: a resend is
 * answered the same, yet the row never holds the secret in plaintext.
 */
export async function storeAnswer(trx: Trx, n: SpentNonce, answer: StoredAnswer, box?: SecretBox): Promise<void> {
  const text = JSON.stringify(answer);
  const stored = box ? box.seal(text, answerSealContext(n.scope, n.nonce)) : text;
  await runLater(trx, 'UPDATE nonces SET answer = ? WHERE scope = ? AND nonce = ?', [stored, n.scope, n.nonce]);
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
export async function nonceUse(db: Db | Trx, box: SecretBox, n: SpentNonce, locked = false): Promise<NonceUse> {
  const sql = `SELECT request_hash, answer FROM nonces WHERE scope = ? AND nonce = ?${locked ? lockClause(db, 'share') : ''}`;
  const [row] = (await runStatement<Pick<NonceRow, 'request_hash' | 'answer'>>(db, sql, [n.scope, n.nonce])).rows;
  if (!row) return { spent: false };
  if (row.request_hash !== n.requestHash || row.answer === null) return { spent: true };
  const text = row.answer.startsWith('{') ? row.answer : openedAnswer(box, n, row.answer);
  return text === undefined ? { spent: true } : { spent: true, answer: JSON.parse(text) as StoredAnswer };
}

/** A sealed answer no key of the ring opens any more: the resend is refused as a reused nonce. */
function openedAnswer(box: SecretBox, n: SpentNonce, sealed: string): string | undefined {
  try {
    return box.open(sealed, answerSealContext(n.scope, n.nonce));
  } catch (err) {
    if (err instanceof SecretUnreadable) return undefined;
    throw err;
  }
}

export async function purgeExpiredNonces(db: Db, now = Date.now()): Promise<number> {
  return db('nonces').where('expires_at', '<', now).delete();
}
