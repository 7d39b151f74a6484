import type { Runtime } from '../runtime.js';
import { inTransaction, type Trx } from '../store/db.js';
import { assertMayLogin } from './access.js';
import { auditLogin } from './audit.js';
import { endSession, insertSession, type IssuedTokens, type SessionRecord } from './sessions.js';
import type { AppKey } from './syncedApps.js';

/** A user the IdP signed in, not yet holding a session. */
export interface Candidate {
  app: AppKey;
  userName: string;
  /** The IdP's (or, once checked, the directory's) name and department. */
  name?: string | null;
  orgCode?: string | null;
  tokens: IssuedTokens;
  tokensIssuedAt?: number;
}

/** Checks the user may log in; the directory's name and department win over the IdP's, the role is the directory's. */
export async function checkedCandidate(trx: Trx, c: Candidate): Promise<Candidate & { role: string }> {
  const known = await assertMayLogin(trx, c.app, c.userName);
  return { ...c, name: known.name ?? c.name, orgCode: known.orgCode ?? c.orgCode, role: known.role };
}

/**
 * Stores the session of a user checked in the same transaction (see assertMayLogin), ends the
 * session this browser held before, if any, and records the login.
 */
export async function signIn(rt: Runtime, c: Candidate, startedAt: number, replaces?: string): Promise<{ id: string; record: SessionRecord }> {
  return inTransaction(rt.db, async (trx) => {
    const created = await insertSession(trx, rt.box, rt.config, await checkedCandidate(trx, c), Date.now());
    if (replaces) await endSession(trx, replaces, 'replaced');
    await auditLogin(trx, 'login', { ...c.app, userName: c.userName }, startedAt);
    return created;
  });
}
