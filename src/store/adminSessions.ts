import type { Db } from './db.js';
import { runStatement } from './statements.js';

/** Records a signed-in admin session by the hash of its cookie's value. */
export async function insertAdminSession(db: Db, idHash: string, now: number, expiresAt: number): Promise<void> {
  await runStatement(db, 'INSERT INTO admin_sessions (id_hash, created_at, expires_at) VALUES (?, ?, ?)', [idHash, now, expiresAt]);
}

/** Whether the session is signed in and not yet expired. */
export async function adminSessionActive(db: Db, idHash: string, now: number): Promise<boolean> {
  const { rows } = await runStatement(db, 'SELECT id_hash FROM admin_sessions WHERE id_hash = ? AND expires_at > ?', [idHash, now]);
  return rows.length > 0;
}

export async function deleteAdminSession(db: Db, idHash: string): Promise<void> {
  await runStatement(db, 'DELETE FROM admin_sessions WHERE id_hash = ?', [idHash]);
}

/**
 * Counts one sign-in attempt of `source` in its current window (a new window once `windowMs` has
 * passed) and gives the window's count and start. The update is one statement, so attempts sent at
 * once to several replicas are all counted.
 */
export async function countLoginAttempt(db: Db, source: string, now: number, windowMs: number): Promise<{ attempts: number; windowStart: number }> {
  const stale = now - windowMs;
  for (;;) {
    const updated = await runStatement(
      db,
      'UPDATE admin_login_attempts SET attempts = CASE WHEN window_start <= ? THEN 1 ELSE attempts + 1 END, window_start = CASE WHEN window_start <= ? THEN ? ELSE window_start END WHERE source = ?',
      [stale, stale, now, source],
    );
    if (updated.changes === 0) {
      try {
        await runStatement(db, 'INSERT INTO admin_login_attempts (source, window_start, attempts) VALUES (?, ?, 1)', [source, now]);
        return { attempts: 1, windowStart: now };
      } catch (err) {
        const code = (err as { code?: string }).code;
        // A concurrent first attempt inserted the row: count this one on it.
        if (code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') continue;
        throw err;
      }
    }
    const { rows } = await runStatement<{ attempts: number; window_start: number }>(db, 'SELECT attempts, window_start FROM admin_login_attempts WHERE source = ?', [source]);
    return { attempts: Number(rows[0]!.attempts), windowStart: Number(rows[0]!.window_start) };
  }
}

/** Forgets the attempts of a source address that has just signed in. */
export async function forgetLoginAttempts(db: Db, source: string): Promise<void> {
  await runStatement(db, 'DELETE FROM admin_login_attempts WHERE source = ?', [source]);
}

/** Drops expired sessions and windows of attempts long past. */
export async function purgeAdminRows(db: Db, now: number, windowMs: number): Promise<void> {
  await runStatement(db, 'DELETE FROM admin_sessions WHERE expires_at <= ?', [now]);
  await runStatement(db, 'DELETE FROM admin_login_attempts WHERE window_start <= ?', [now - windowMs]);
}
