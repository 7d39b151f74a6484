import type { Db, Trx } from './db.js';

/**
 * Remembers each signed request's nonce until its timestamp can no longer pass the window, so a
 * captured request cannot be replayed. The primary key makes "first one wins" atomic; claimed in
 * the call's own transaction, a concurrent twin waits for the first and then finds it taken.
 */
export async function claimNonce(db: Db | Trx, scope: 'kit' | 'basic', nonce: string, expiresAt: number): Promise<boolean> {
  try {
    await db('nonces').insert({ scope, nonce, expires_at: expiresAt });
    return true;
  } catch (err) {
    const e = err as { code?: string; errno?: number };
    if (e.code === 'ER_DUP_ENTRY' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
    throw err;
  }
}

export async function purgeExpiredNonces(db: Db, now = Date.now()): Promise<number> {
  return db('nonces').where('expires_at', '<', now).delete();
}
